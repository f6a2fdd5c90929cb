/// Backoffs after rate-limit answers (FACTS.md §2), so one busy recipient or number does not
/// slow the whole dispatcher:
/// - 131056, the (business, consumer) pair limit: this recipient waits 4^n seconds (n = the
///   consecutive hits, capped), other recipients go on;
/// - 130429 and the like, the number's throughput: every send from this number waits
///   `senderBaseMillis` × 2^(n−1), capped.
/// A success clears the backoff. Times are Unix milliseconds from the caller's clock.
public actor SendThrottle {
    public struct Configuration: Sendable {
        public var recipientBaseMillis: Int64
        public var recipientCapMillis: Int64
        public var senderBaseMillis: Int64
        public var senderCapMillis: Int64

        public init(recipientBaseMillis: Int64 = 4000, recipientCapMillis: Int64 = 256_000, senderBaseMillis: Int64 = 1000,
                    senderCapMillis: Int64 = 60_000) {
            self.recipientBaseMillis = max(1, recipientBaseMillis)
            self.recipientCapMillis = max(self.recipientBaseMillis, recipientCapMillis)
            self.senderBaseMillis = max(1, senderBaseMillis)
            self.senderCapMillis = max(self.senderBaseMillis, senderCapMillis)
        }
    }

    struct Backoff {
        var hits: Int
        var until: Int64
    }

    public nonisolated let configuration: Configuration
    private var recipients: [String: Backoff] = [:]
    private var senders: [String: Backoff] = [:]

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// How long a send from `sender` to `recipient` (a hash) must still wait, or nil if it may go now.
    public func wait(sender: String, recipient: String, now: Int64) -> Int64? {
        let until = max(senders[sender]?.until ?? 0, recipients[Self.pair(sender, recipient)]?.until ?? 0)
        return until > now ? until - now : nil
    }

    /// Records a 131056 for the pair; returns the wait it imposes.
    @discardableResult
    public func pairLimited(sender: String, recipient: String, now: Int64) -> Int64 {
        let key = Self.pair(sender, recipient)
        let hits = (recipients[key]?.hits ?? 0) + 1
        // 4^hits seconds by default: 4, 16, 64, 256 s.
        var wait = configuration.recipientBaseMillis
        for _ in 1..<min(hits, 8) where wait < configuration.recipientCapMillis { wait *= 4 }
        wait = min(wait, configuration.recipientCapMillis)
        recipients[key] = Backoff(hits: hits, until: now + wait)
        return wait
    }

    /// Records a throughput limit for the sender number; returns the wait it imposes.
    @discardableResult
    public func senderLimited(sender: String, now: Int64) -> Int64 {
        let hits = (senders[sender]?.hits ?? 0) + 1
        let wait = min(configuration.senderBaseMillis << Int64(min(hits - 1, 20)), configuration.senderCapMillis)
        senders[sender] = Backoff(hits: hits, until: now + wait)
        return wait
    }

    /// A send got through: the pair's and the number's backoffs end.
    public func succeeded(sender: String, recipient: String) {
        recipients[Self.pair(sender, recipient)] = nil
        senders[sender] = nil
    }

    static func pair(_ sender: String, _ recipient: String) -> String { "\(sender)/\(recipient)" }
}
