/// Group commit for one kind of write: calls that arrive while a batch is being written wait and
/// go out together in the next one (at most `maxBatch`), so N concurrent writes cost one round
/// trip and one commit instead of N. No timer and no added latency when idle: the first caller
/// writes at once and leads; when its batch is written it hands the lead to the next waiter (so
/// no caller works for the others indefinitely). Each caller gets its own item's output; a batch
/// that fails fails each of its callers.
actor BatchWriter<Item: Sendable, Output: Sendable> {
    private struct Entry {
        var item: Item
        /// nil for the leader's own entry; resumed with `.lead` to hand over the lead.
        var waiter: CheckedContinuation<Turn, any Error>?
    }

    private enum Turn: Sendable {
        case done(Output)
        case lead
    }

    private let maxBatch: Int
    private var queue: [Entry] = []
    private var leading = false

    init(maxBatch: Int = 256) {
        self.maxBatch = max(1, maxBatch)
    }

    /// Returns `item`'s output once its batch is written; throws that batch's error. `write`
    /// writes a batch and returns one output per item, in order; whichever caller leads uses its
    /// own (callers pass the same one).
    func submit(_ item: Item, write: @escaping @Sendable ([Item]) async throws -> [Output]) async throws -> Output {
        if leading {
            let turn = try await withCheckedThrowingContinuation { continuation in
                queue.append(Entry(item: item, waiter: continuation))
            }
            if case .done(let output) = turn { return output }
        } else {
            leading = true
            queue.insert(Entry(item: item, waiter: nil), at: 0)
        }
        return try await writeBatch(write)
    }

    /// Writes the head of the queue (which holds the caller's own entry, first), answers its
    /// waiters, hands the lead on, and returns the caller's output.
    private func writeBatch(_ write: @escaping @Sendable ([Item]) async throws -> [Output]) async throws -> Output {
        let batch = Array(queue.prefix(maxBatch))
        queue.removeFirst(batch.count)
        let items = batch.map(\.item)
        var outcome: Result<[Output], any Error>
        do {
            // Not in the leader's task: a leader cancelled mid-write (its client went away) must not
            // fail the other callers' items with it.
            let outputs = try await Task { try await write(items) }.value
            outcome = outputs.count == batch.count
                ? .success(outputs) : .failure(StoreError(.unavailable, "a batched write answered \(outputs.count) of \(batch.count) items"))
        } catch {
            outcome = .failure(error)
        }
        for (index, entry) in batch.enumerated() {
            guard let waiter = entry.waiter else { continue }
            switch outcome {
            case .success(let outputs): waiter.resume(returning: .done(outputs[index]))
            case .failure(let error): waiter.resume(throwing: error)
            }
        }
        if queue.isEmpty {
            leading = false
        } else {
            let next = queue[0].waiter
            queue[0].waiter = nil
            next?.resume(returning: .lead)
        }
        return try outcome.get()[0]
    }
}
