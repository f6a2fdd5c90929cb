/// Group commit for one kind of write: calls that arrive while batches are being written wait and
/// go out together in the next one (at most `maxBatch`), so N concurrent writes cost one round
/// trip and one commit instead of N. No timer and no added latency when idle: a caller that finds
/// fewer than `maxInFlight` batches being written writes at once and leads; when a leader's batch
/// is written it hands the lead, with the next batch, to the first waiter (so no caller works for
/// the others indefinitely). Each caller gets its own item's output; a batch that fails fails each
/// of its callers.
///
/// `maxInFlight` 1 (SQLite: one connection) writes batches one after the other; more (PostgreSQL:
/// a pool) lets the next batch go out while one waits for its commit's flush, which the database
/// then often covers with the same WAL sync. Batches written concurrently may commit in either
/// order; within a batch, items keep their arrival order.
actor BatchWriter<Item: Sendable, Output: Sendable> {
    private struct Entry: Sendable {
        var item: Item
        /// nil for the leader's own entry.
        var waiter: CheckedContinuation<Turn, any Error>?
    }

    private enum Turn: Sendable {
        case done(Output)
        /// Lead: write this batch (whose first entry is the new leader's own).
        case lead([Entry])
    }

    private let maxBatch: Int
    private let maxInFlight: Int
    private var queue: [Entry] = []
    private var leaders = 0

    init(maxBatch: Int = 256, maxInFlight: Int = 1) {
        self.maxBatch = max(1, maxBatch)
        self.maxInFlight = max(1, maxInFlight)
    }

    /// Returns `item`'s output once its batch is written; throws that batch's error. `write`
    /// writes a batch and returns one output per item, in order; whichever caller leads uses its
    /// own (callers pass the same one).
    func submit(_ item: Item, write: @escaping @Sendable ([Item]) async throws -> [Output]) async throws -> Output {
        if leaders < maxInFlight {
            leaders += 1
            return try await writeBatch([Entry(item: item, waiter: nil)], write)
        }
        let turn = try await withCheckedThrowingContinuation { continuation in
            queue.append(Entry(item: item, waiter: continuation))
        }
        switch turn {
        case .done(let output): return output
        case .lead(let batch): return try await writeBatch(batch, write)
        }
    }

    /// Writes `batch` (the caller's own entry first), answers its waiters, hands the lead on with
    /// the next batch, and returns the caller's output.
    private func writeBatch(_ batch: [Entry], _ write: @escaping @Sendable ([Item]) async throws -> [Output]) async throws -> Output {
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
            leaders -= 1
        } else {
            var next = Array(queue.prefix(maxBatch))
            queue.removeFirst(next.count)
            let leader = next[0].waiter
            next[0].waiter = nil
            leader?.resume(returning: .lead(next))
        }
        return try outcome.get()[0]
    }
}
