/// Wakes idle polling loops early: the webhook after an append, the scheduler after promoting
/// timers, a finished delivery for the dispatcher. A wake with nobody waiting is remembered once,
/// so a wake between "found nothing" and "wait" is not lost.
///
/// A wake resumes as many waiters as there is new work for (`wake(upTo:)`, one by default), the
/// longest-waiting first — not all of them: sixteen loops racing to claim one new inbox entry cost
/// fifteen wasted claims. Loops that found work poll again at once, so work beyond the woken
/// loops is still picked up without waiting.
public actor WakeSignal {
    private var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    private var nextID = 0
    private var pending = false

    public init() {}

    /// Resumes up to `count` waiters, longest-waiting first (or makes the next wait return at once).
    public func wake(upTo count: Int = 1) {
        guard !waiters.isEmpty else {
            pending = true
            return
        }
        for id in waiters.keys.sorted().prefix(max(1, count)) {
            waiters.removeValue(forKey: id)?.resume()
        }
    }

    /// Resumes every waiter.
    public func wakeAll() {
        wake(upTo: waiters.count)
    }

    /// Returns on the next `wake()` or after `timeout`, whichever comes first.
    public func wait(timeout: Duration) async {
        if pending {
            pending = false
            return
        }
        nextID += 1
        let id = nextID
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.fire(id)
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            waiters[id] = continuation
        }
        timer.cancel()
    }

    private func fire(_ id: Int) {
        waiters.removeValue(forKey: id)?.resume()
    }
}
