/// Group commit for one kind of write: calls that arrive while a batch is being written wait and
/// go out together in the next one (at most `maxBatch`), so N concurrent writes cost one round
/// trip and one commit instead of N. No timer and no added latency when idle: the first caller
/// writes at once and leads; when its batch is written it hands the lead to the next waiter (so
/// no caller works for the others indefinitely). A failed batch fails each of its callers.
actor BatchWriter<Item: Sendable> {
    private struct Entry {
        var item: Item
        /// nil for the leader's own entry; resumed with `true` to hand over the lead.
        var waiter: CheckedContinuation<Bool, any Error>?
    }

    private let maxBatch: Int
    private var queue: [Entry] = []
    private var leading = false

    init(maxBatch: Int = 256) {
        self.maxBatch = max(1, maxBatch)
    }

    /// Returns once `item` was written (in some batch); throws that batch's error. `write` writes
    /// a batch; whichever caller leads uses its own (callers pass the same one).
    func submit(_ item: Item, write: @Sendable ([Item]) async throws -> Void) async throws {
        if leading {
            let lead = try await withCheckedThrowingContinuation { continuation in
                queue.append(Entry(item: item, waiter: continuation))
            }
            guard lead else { return }
        } else {
            leading = true
            queue.insert(Entry(item: item, waiter: nil), at: 0)
        }
        try await writeBatch(write)
    }

    /// Writes the head of the queue (which holds the caller's own entry), answers its waiters
    /// and hands the lead on.
    private func writeBatch(_ write: @Sendable ([Item]) async throws -> Void) async throws {
        let batch = Array(queue.prefix(maxBatch))
        queue.removeFirst(batch.count)
        var failure: (any Error)?
        do {
            try await write(batch.map(\.item))
        } catch {
            failure = error
        }
        for entry in batch {
            guard let waiter = entry.waiter else { continue }
            if let failure { waiter.resume(throwing: failure) } else { waiter.resume(returning: false) }
        }
        if queue.isEmpty {
            leading = false
        } else {
            let next = queue[0].waiter
            queue[0].waiter = nil
            next?.resume(returning: true)
        }
        if let failure { throw failure }
    }
}
