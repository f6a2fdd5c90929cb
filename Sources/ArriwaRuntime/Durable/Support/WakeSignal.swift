/// Wakes idle polling loops early: the webhook after an append, the scheduler after promoting
/// timers, a finished delivery for the dispatcher. A wake with nobody waiting is remembered once,
/// so a wake between "found nothing" and "wait" is not lost.
public actor WakeSignal {
    private var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    private var nextID = 0
    private var pending = false

    public init() {}

    /// Resumes every waiter (or the next one to wait).
    public func wake() {
        guard !waiters.isEmpty else {
            pending = true
            return
        }
        let resumed = waiters
        waiters = [:]
        for continuation in resumed.values { continuation.resume() }
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
