public import ArriwaStore
public import Logging
public import ServiceLifecycle

/// Keeps the hot tables small: every `interval`, deletes inbox entries that were processed and
/// outbox rows that were delivered more than `retention` ago, in batches, until none are left.
/// Pending, failed and dead rows, sessions, timers and the logs are never touched.
///
/// The retention must outlast the providers' webhook redeliveries: an inbox row is also the
/// dedupe record of its provider message id, and Meta retries webhooks for up to 7 days
/// (../shared/fixtures/providers/FACTS.md) — hence the 8-day minimum. Emissions stay exactly once
/// after their outbox rows go: the session state and the event log keep every emitted key.
public final class RetentionPruner: Service, Sendable {
    public struct Configuration: Sendable {
        /// The shortest retention accepted: longer than Meta's 7 days of webhook retries.
        public static let minimumDays = 8

        public var retentionMillis: Int64
        public var interval: Duration
        /// Rows per statement (keeps each delete's locks short).
        public var batch: Int

        public init(retentionDays: Int = 14, interval: Duration = .seconds(3600), batch: Int = 1000) {
            self.retentionMillis = Int64(max(Self.minimumDays, retentionDays)) * 86_400_000
            self.interval = interval
            self.batch = max(1, batch)
        }
    }

    public let configuration: Configuration
    let store: any Store
    let clock: any RuntimeClock
    let logger: Logger

    public init(store: any Store, configuration: Configuration = Configuration(), clock: any RuntimeClock = SystemClock(),
                logger: Logger = Logger(label: "arriwa.retention")) {
        self.store = store
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                _ = try await pruneAll()
            } catch {
                logger.warning("pruning old rows failed; will try again", metadata: ["error": "\(error)"])
            }
            do {
                try await Task.sleep(for: configuration.interval)
            } catch {
                break // cancelled
            }
        }
    }

    /// Prunes batch after batch until a batch comes back short. Returns the totals.
    @discardableResult
    public func pruneAll() async throws -> PruneCounts {
        let cutoff = await clock.now() - configuration.retentionMillis
        var total = PruneCounts()
        while !Task.isCancelled {
            let counts = try await store.prune(olderThan: cutoff, limit: configuration.batch)
            total.inbox += counts.inbox
            total.outbox += counts.outbox
            if counts.inbox < configuration.batch && counts.outbox < configuration.batch { break }
        }
        if total.total > 0 {
            logger.info("pruned processed rows", metadata: ["inbox": "\(total.inbox)", "outbox": "\(total.outbox)",
                                                            "cutoff_ms": "\(cutoff)"])
        }
        return total
    }
}
