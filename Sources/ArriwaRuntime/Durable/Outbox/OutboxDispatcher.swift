public import ArriwaStore
public import Logging
public import ServiceLifecycle
import Synchronization

/// Delivers the outbox: leases due rows, delivers each concurrently (bounded, with a per-row
/// timeout, so one slow destination never holds up other sessions), and records the outcome:
/// delivered; retried with backoff 1, 2, 4, 8, 16 s (capped) on technical failures; dead after
/// `maxAttempts` or at once on a permanent failure. At least once: the idempotency key (the row's
/// key) lets receivers drop repeats; `isRedelivery` tells them a repeat is possible.
public final class OutboxDispatcher: Service, Sendable {
    public struct Configuration: Sendable {
        public var owner: String
        /// Deliveries in flight at once. 256 by default: a row's claim and completion each wait
        /// their turn at the store, so the dispatcher's rate is about `concurrency` / (that wait +
        /// the delivery); with 64 it delivered ~1,000 rows/s beside SQLite's busy writer — under
        /// half of what funnel-5 at C = 64 enqueues (docs/benchmarks.md).
        public var concurrency: Int
        /// A claimed row's lease; longer than `deliveryTimeout`.
        public var leaseMillis: Int64
        public var deliveryTimeout: Duration
        /// Attempts before a row that keeps failing becomes a dead letter.
        public var maxAttempts: Int
        public var backoffBaseMillis: Int64
        public var backoffCapMillis: Int64
        public var idlePoll: Duration

        public init(owner: String = WorkerIdentity.make("dispatcher"), concurrency: Int = 256, leaseMillis: Int64 = 60_000,
                    deliveryTimeout: Duration = .seconds(15), maxAttempts: Int = 6, backoffBaseMillis: Int64 = 1000,
                    backoffCapMillis: Int64 = 16_000, idlePoll: Duration = .milliseconds(100)) {
            self.owner = owner
            self.concurrency = max(1, concurrency)
            self.leaseMillis = max(1000, leaseMillis)
            self.deliveryTimeout = deliveryTimeout
            self.maxAttempts = max(1, maxAttempts)
            self.backoffBaseMillis = max(1, backoffBaseMillis)
            self.backoffCapMillis = max(backoffBaseMillis, backoffCapMillis)
            self.idlePoll = idlePoll
        }

        /// The wait after failed attempt `attempt` (1-based): base × 2^(attempt−1), capped.
        public func backoff(afterAttempt attempt: Int) -> Int64 {
            let exponent = min(max(0, attempt - 1), 30)
            return min(backoffBaseMillis << Int64(exponent), backoffCapMillis)
        }
    }

    public let configuration: Configuration
    let store: any Store
    let destinations: Destinations
    let clock: any RuntimeClock
    let metrics: RuntimeMetrics
    let logger: Logger
    let signal = WakeSignal()
    /// Deliveries in flight (read by the claim loop, changed by the deliveries).
    let inFlight = Atomic<Int>(0)

    public init(store: any Store, destinations: Destinations, configuration: Configuration = Configuration(),
                clock: any RuntimeClock = SystemClock(), metrics: RuntimeMetrics = RuntimeMetrics(),
                logger: Logger = Logger(label: "arriwa.outbox")) {
        self.store = store
        self.destinations = destinations
        self.configuration = configuration
        self.clock = clock
        self.metrics = metrics
        self.logger = logger
    }

    /// Ends an idle wait now.
    public func wake() async {
        await signal.wake()
    }

    public func run() async throws {
        logger.info("outbox dispatcher started", metadata: ["owner": "\(configuration.owner)"])
        var lastBacklog: Int64 = 0
        // The group waits for deliveries in flight: a graceful shutdown drains them.
        await withDiscardingTaskGroup { group in
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                let now = await clock.now()
                if now - lastBacklog >= 1000 {
                    lastBacklog = now
                    await refreshBacklog()
                }
                let busy = inFlight.load(ordering: .relaxed)
                let free = configuration.concurrency - busy
                var claimed: [OutboxRecord] = []
                // Claims come in batches: while deliveries run, wait until a quarter of the slots
                // are free rather than claiming one row per finished delivery (each claim is a
                // write transaction).
                if free > 0 && (busy == 0 || free >= max(1, configuration.concurrency / 4)) {
                    do {
                        claimed = try await store.claimOutbox(owner: configuration.owner, limit: free, now: now,
                                                              leaseMillis: configuration.leaseMillis)
                    } catch {
                        metrics.error(.dispatcher)
                        logger.error("claiming outbox rows failed", metadata: ["error": "\(error)"])
                    }
                }
                inFlight.add(claimed.count, ordering: .relaxed)
                let threshold = max(1, configuration.concurrency / 4)
                for record in claimed {
                    group.addTask {
                        await self.deliver(record)
                        let left = self.inFlight.subtract(1, ordering: .relaxed).newValue
                        // The loop waits for a quarter of the slots (or for none busy): wake it then.
                        if left == 0 || self.configuration.concurrency - left == threshold { await self.signal.wake() }
                    }
                }
                if claimed.isEmpty { await signal.wait(timeout: busy > 0 ? .milliseconds(20) : configuration.idlePoll) }
            }
        }
        logger.info("outbox dispatcher stopped", metadata: ["owner": "\(configuration.owner)"])
    }

    /// Delivers one claimed row and records the outcome.
    public func deliver(_ record: OutboxRecord) async {
        var metadata: Logger.Metadata = ["tenant": "\(record.item.tenant)", "destination": "\(record.item.destination)",
                                         "key": "\(record.item.key)", "attempt": "\(record.attempts)"]
        let outcome: OutboxOutcome
        // A message the channel sent: `sent` in the message log, in the completion's transaction.
        var sent: SentMessage?
        do {
            let destinations = self.destinations
            let delivered = try await withDeadline(configuration.deliveryTimeout) { try await destinations.deliver(record) }
            outcome = .delivered(remoteID: delivered.remoteID)
            metrics.deliveries.increment()
            if let messageID = delivered.sentMessageID {
                sent = SentMessage(tenant: record.item.tenant, messageID: messageID, providerMessageID: delivered.remoteID, at: await clock.now())
            }
        } catch {
            let failure = (error as? DeliveryError) ?? .transient("\(error)")
            metrics.error(.dispatcher)
            metadata["error"] = "\(failure)"
            if failure.kind == .transient, record.attempts >= configuration.maxAttempts, let error = await abandon(record, failure) {
                // The destination could not be told the row is given up: keep it for another attempt.
                outcome = .retry(at: await clock.now() + configuration.backoff(afterAttempt: record.attempts), error: failure.description)
                logger.error("telling the destination that a row is given up failed; will retry the row",
                             metadata: metadata.merging(["abandon_error": "\(error)"]) { $1 })
            } else if failure.kind == .permanent || record.attempts >= configuration.maxAttempts {
                outcome = .dead(error: failure.description)
                metrics.deadLetters.increment()
                logger.error("outbox row dead-lettered", metadata: metadata)
            } else {
                let wait = max(configuration.backoff(afterAttempt: record.attempts), failure.retryAfterMillis ?? 0)
                outcome = .retry(at: await clock.now() + wait, error: failure.description)
                metadata["retry_in_ms"] = "\(wait)"
                logger.warning("delivery failed; will retry", metadata: metadata)
            }
        }
        do {
            try await store.completeOutbox(id: record.id, owner: configuration.owner, outcome: outcome, now: await clock.now(), sent: sent)
        } catch {
            metrics.error(.dispatcher)
            logger.error("recording a delivery outcome failed; the lease will expire and the row be redelivered",
                         metadata: metadata.merging(["error": "\(error)"]) { $1 })
        }
    }

    /// `Destinations.abandon` for a row that ran out of attempts; returns its error, if any.
    func abandon(_ record: OutboxRecord, _ failure: DeliveryError) async -> (any Error)? {
        do {
            try await destinations.abandon(record, lastError: failure)
            return nil
        } catch {
            return error
        }
    }

    func refreshBacklog() async {
        do {
            metrics.outboxBacklog.record(try await store.outboxBacklog())
        } catch {
            logger.debug("outbox counts failed", metadata: ["error": "\(error)"])
        }
    }
}
