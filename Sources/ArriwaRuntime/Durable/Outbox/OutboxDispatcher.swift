public import ArriwaStore
public import Logging
public import ServiceLifecycle
import Synchronization

/// Delivers the outbox: leases due rows, delivers each concurrently (bounded, with a per-row
/// timeout, so one slow destination never holds up other sessions), and records the outcome:
/// delivered; retried with backoff 1, 2, 4, 8, 16 s (capped) on technical failures; dead after
/// `maxAttempts` or at once on a permanent failure. At least once: the idempotency key (the row's
/// key) lets receivers drop repeats; `isRedelivery` tells them a repeat is possible.
///
/// Rows need not be claimed: a turn worker in the same process inserts the rows its commits
/// enqueue already leased to this dispatcher (`handoffLease`, while it has room for them) and hands
/// them over once committed (`adopt`) — one statement and one row version fewer per row. A row handed
/// over is delivered like a claimed one; should the process die first, its lease runs out and
/// any dispatcher claims it, marked in doubt, as a claimed row would be.
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
    /// Rows handed over (`adopt`) and not yet started.
    let handedOver = HandoffQueue()
    /// Leases given out for rows not yet started: commits in progress and rows handed over.
    let promised = Atomic<Int>(0)
    /// Whether the loop takes handed-over rows (from `run` until it stops).
    let accepting = Atomic<Bool>(false)
    /// `wake()` asked for a claim: the next loop claims even if its last claim found nothing lately.
    let claimSoon = Atomic<Bool>(false)

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

    /// Ends an idle wait now, and claims due rows then.
    public func wake() async {
        claimSoon.store(true, ordering: .relaxed)
        await signal.wake()
    }

    /// A lease for the outbox rows of a turn commit about to be made (`TurnCommit.outboxLease`),
    /// counted against `concurrency` until the rows are handed over (`adopt`) or the lease is given
    /// back (`forgo`). Nil when the dispatcher is not running or has no room: the rows are then
    /// inserted unleased and claimed as usual.
    public func handoffLease(rows: Int, now: Int64) -> OutboxLease? {
        guard rows > 0, accepting.load(ordering: .relaxed) else { return nil }
        let promisedNow = promised.add(rows, ordering: .relaxed).newValue
        guard inFlight.load(ordering: .relaxed) + promisedNow <= configuration.concurrency else {
            promised.subtract(rows, ordering: .relaxed)
            return nil
        }
        return OutboxLease(owner: configuration.owner, until: now + configuration.leaseMillis)
    }

    /// The rows a commit stored under a `handoffLease` of `rows` rows (`TurnCommitResult.leased`;
    /// fewer than `rows` when some were duplicates or due later): delivered as claimed rows are.
    public func adopt(_ records: [OutboxRecord], promised rows: Int) async {
        promised.subtract(rows, ordering: .relaxed)
        guard !records.isEmpty else { return }
        inFlight.add(records.count, ordering: .relaxed)
        await handedOver.append(records)
        await signal.wake()
    }

    /// Gives back a `handoffLease` whose commit did not happen (nothing was stored under it).
    public func forgo(promised rows: Int) {
        promised.subtract(rows, ordering: .relaxed)
    }

    public func run() async throws {
        logger.info("outbox dispatcher started", metadata: ["owner": "\(configuration.owner)"])
        var lastBacklog: Int64 = 0
        var lastEmptyClaim: ContinuousClock.Instant?
        let threshold = max(1, configuration.concurrency / 4)
        accepting.store(true, ordering: .relaxed)
        // A graceful shutdown ends the idle wait at once rather than after `idlePoll`.
        let signal = self.signal
        await withGracefulShutdownHandler {
            // The group waits for deliveries in flight: a graceful shutdown drains them.
            await withDiscardingTaskGroup { group in
                /// Starts deliveries already counted in `inFlight`.
                func start(_ records: [OutboxRecord]) {
                    for record in records {
                        group.addTask {
                            await self.deliver(record)
                            let left = self.inFlight.subtract(1, ordering: .relaxed).newValue
                            // The loop waits for a quarter of the slots (or for none busy): wake it then.
                            if left == 0 || self.configuration.concurrency - left == threshold { await self.signal.wake() }
                        }
                    }
                }
                while !Task.isShuttingDownGracefully && !Task.isCancelled {
                    let handed = await handedOver.takeAll()
                    start(handed)
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
                    // write transaction). A claim that found nothing is not repeated before
                    // `idlePoll` has passed (unless `wake()` asks): hand-overs wake the loop often.
                    let polled = lastEmptyClaim.map { ContinuousClock.now - $0 >= configuration.idlePoll } ?? true
                    if free > 0 && (busy == 0 || free >= threshold)
                        && (polled || claimSoon.exchange(false, ordering: .relaxed)) {
                        do {
                            claimed = try await store.claimOutbox(owner: configuration.owner, limit: free, now: now,
                                                                  leaseMillis: configuration.leaseMillis)
                            lastEmptyClaim = claimed.isEmpty ? ContinuousClock.now : nil
                        } catch {
                            metrics.error(.dispatcher)
                            logger.error("claiming outbox rows failed", metadata: ["error": "\(error)"])
                        }
                    }
                    inFlight.add(claimed.count, ordering: .relaxed)
                    start(claimed)
                    if claimed.isEmpty && handed.isEmpty { await signal.wait(timeout: busy > 0 ? .milliseconds(20) : configuration.idlePoll) }
                }
                // Stopping: no more leases. Leases already given are waited for (their commits end in
                // `adopt` or `forgo`; the turn workers stop first) and their rows delivered, so that
                // none is left to run out its lease and be redelivered as in doubt. Bounded: a worker
                // that never ends its commit does not hold the shutdown past `deliveryTimeout`.
                accepting.store(false, ordering: .relaxed)
                let deadline = ContinuousClock.now + configuration.deliveryTimeout
                while true {
                    start(await handedOver.takeAll())
                    guard promised.load(ordering: .relaxed) > 0, !Task.isCancelled else { break }
                    guard ContinuousClock.now < deadline else {
                        logger.warning("stopping with outbox leases not handed over; their rows are delivered after the lease",
                                       metadata: ["rows": "\(promised.load(ordering: .relaxed))"])
                        break
                    }
                    await signal.wait(timeout: .milliseconds(20))
                }
            }
        } onGracefulShutdown: {
            Task { await signal.wake() }
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

/// Rows handed over to the dispatcher, waiting for its loop to start them.
actor HandoffQueue {
    private var records: [OutboxRecord] = []

    func append(_ more: [OutboxRecord]) {
        records += more
    }

    func takeAll() -> [OutboxRecord] {
        defer { records = [] }
        return records
    }
}
