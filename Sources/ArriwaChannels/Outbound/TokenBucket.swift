/// A token bucket per key (a sender number): at most `rate` sends per second on average, bursts
/// up to `capacity`. Cloud API's default is 80 messages/s per number (FACTS.md §2); going over
/// earns 130429. A caller reserves a token and, when the bucket is empty, waits its turn outside
/// the actor, so reservations stay first come, first served.
public actor TokenBucket {
    struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    public nonisolated let rate: Double
    public nonisolated let capacity: Double
    private var buckets: [String: Bucket] = [:]
    private let clock = ContinuousClock()

    /// - Parameters:
    ///   - rate: tokens per second (80: Cloud API's default throughput per number).
    ///   - capacity: the burst; defaults to one second's worth.
    public init(rate: Double = 80, capacity: Double? = nil) {
        self.rate = max(0.001, rate)
        self.capacity = max(1, capacity ?? rate)
    }

    /// Takes a token for `key` and returns how long the caller must wait before using it (zero
    /// when one was available). Tokens may go negative: later callers queue behind.
    public func reserve(_ key: String) -> Duration {
        reserve(key, at: clock.now)
    }

    /// `reserve(_:)` at the instant `now` (instants a caller passes must not go back).
    public func reserve(_ key: String, at now: ContinuousClock.Instant) -> Duration {
        var bucket = buckets[key] ?? Bucket(tokens: capacity, updated: now)
        let elapsed = bucket.updated.duration(to: now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        bucket.tokens = min(capacity, bucket.tokens + seconds * rate)
        bucket.updated = now
        bucket.tokens -= 1
        buckets[key] = bucket
        guard bucket.tokens < 0 else { return .zero }
        return .nanoseconds(Int64((-bucket.tokens / rate) * 1e9))
    }

    /// Waits until a token for `key` is available (cancellation ends the wait with an error).
    public nonisolated func acquire(_ key: String) async throws {
        let wait = await reserve(key)
        if wait > .zero { try await Task.sleep(for: wait) }
    }
}
