public import ArriwaRuntime

/// Collects items submitted concurrently (one per outbox `deliver` call) into batches per key:
/// a batch is flushed when it reaches `maxItems` or `window` after its first item. Each caller
/// gets its own item's outcome back, so a partial batch failure fails only those rows.
public actor BatchCollector<Key: Hashable & Sendable, Item: Sendable> {
    /// Delivers one batch; returns one outcome per item, in order (the remote id on success).
    public typealias Flush = @Sendable (Key, [Item]) async -> [Result<String?, DeliveryError>]

    private struct Waiting {
        var item: Item
        var continuation: CheckedContinuation<String?, any Error>
    }

    public let window: Duration
    public let maxItems: Int
    private let flush: Flush
    private var pending: [Key: [Waiting]] = [:]
    /// Bumped on every flush, so a window timer of an already flushed batch does nothing.
    private var generation: [Key: Int] = [:]

    public init(window: Duration, maxItems: Int, flush: @escaping Flush) {
        self.window = window
        self.maxItems = max(1, maxItems)
        self.flush = flush
    }

    /// Adds `item` to the batch of `key` and waits for that batch's outcome for it.
    public func submit(_ item: Item, key: Key) async throws -> String? {
        try await withCheckedThrowingContinuation { continuation in
            var queue = pending[key] ?? []
            queue.append(Waiting(item: item, continuation: continuation))
            pending[key] = queue
            if queue.count >= maxItems {
                takeAndSend(key)
            } else if queue.count == 1 {
                let current = generation[key] ?? 0
                let window = self.window
                Task {
                    try? await Task.sleep(for: window)
                    self.windowElapsed(key, generation: current)
                }
            }
        }
    }

    private func windowElapsed(_ key: Key, generation expected: Int) {
        guard (generation[key] ?? 0) == expected, pending[key]?.isEmpty == false else { return }
        takeAndSend(key)
    }

    private func takeAndSend(_ key: Key) {
        guard var queue = pending[key], !queue.isEmpty else { return }
        let batch = Array(queue.prefix(maxItems))
        queue.removeFirst(batch.count)
        pending[key] = queue.isEmpty ? nil : queue
        generation[key, default: 0] += 1
        if !queue.isEmpty {
            // The rest starts a new window.
            let current = generation[key] ?? 0
            let window = self.window
            Task {
                try? await Task.sleep(for: window)
                self.windowElapsed(key, generation: current)
            }
        }
        let flush = self.flush
        Task {
            let results = await flush(key, batch.map(\.item))
            for (index, waiting) in batch.enumerated() {
                let result = index < results.count ? results[index] : .failure(.transient("the batch returned no outcome for this item"))
                switch result {
                case .success(let id): waiting.continuation.resume(returning: id)
                case .failure(let error): waiting.continuation.resume(throwing: error)
                }
            }
        }
    }
}
