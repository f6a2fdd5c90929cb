public import ArriwaCore
public import ArriwaStore
public import Logging
public import ServiceLifecycle
import Foundation

/// Processes the inbox: leases lanes, runs each pending entry through the engine of the session's
/// pinned flow version, classifies outside any transaction when the engine asks, and commits each
/// turn atomically. Several loops per process (`concurrency`), each its own lease owner; any number
/// of processes on one store. A conflicting commit (`.turnConflict`, `.alreadyApplied`,
/// `.leaseLost`) means someone else did it: the claim is dropped, nothing is applied twice.
public final class TurnWorker: Service, Sendable {
    public struct Configuration: Sendable {
        /// Lease owner prefix; each loop appends `#n`.
        public var owner: String
        /// Concurrent loops in this process.
        public var concurrency: Int
        /// Lanes one loop leases per claim.
        public var lanesPerClaim: Int
        /// Entries of one lane processed per claim (in arrival order).
        public var entriesPerLane: Int
        /// How long a claimed lane stays ours. Must outlive a turn: `classificationTimeout` is shorter.
        public var leaseMillis: Int64
        /// How long an idle loop waits before polling again (a `wake()` ends the wait early).
        public var idlePoll: Duration
        /// Attempts before an entry that keeps failing (not a store conflict) is marked failed.
        public var maxAttempts: Int
        /// After this the rules' answer stands in for the classifier's.
        public var classificationTimeout: Duration
        /// Asked when the engine needs a classifier it cannot run itself (a model).
        public var classify: @Sendable (ClassifyRequest) async -> Classification
        /// Subscriber ids for new leads.
        public var newSubscriberID: @Sendable () -> String
        /// Called after each committed turn with its inbox entry, the session after it and the
        /// commit time (benchmarks close their loop on it; tests may observe).
        public var onCommit: (@Sendable (InboxEntry, SessionState?, Int64) async -> Void)?

        public init(owner: String = WorkerIdentity.make("worker"), concurrency: Int = 4, lanesPerClaim: Int = 256,
                    entriesPerLane: Int = 16, leaseMillis: Int64 = 30_000, idlePoll: Duration = .milliseconds(100),
                    maxAttempts: Int = 5, classificationTimeout: Duration = .seconds(20),
                    classify: @escaping @Sendable (ClassifyRequest) async -> Classification = TurnWorker.rulesOnly,
                    newSubscriberID: @escaping @Sendable () -> String = TurnWorker.randomSubscriberID,
                    onCommit: (@Sendable (InboxEntry, SessionState?, Int64) async -> Void)? = nil) {
            self.owner = owner
            self.concurrency = max(1, concurrency)
            self.lanesPerClaim = max(1, lanesPerClaim)
            self.entriesPerLane = max(1, entriesPerLane)
            self.leaseMillis = max(1000, leaseMillis)
            self.idlePoll = idlePoll
            self.maxAttempts = max(1, maxAttempts)
            // The lease must outlive the turn: classification gets at most two thirds of it.
            self.classificationTimeout = min(classificationTimeout, .milliseconds(self.leaseMillis * 2 / 3))
            self.classify = classify
            self.newSubscriberID = newSubscriberID
            self.onCommit = onCommit
        }
    }

    /// New subscriber ids: lower-case UUIDs.
    public static let randomSubscriberID: @Sendable () -> String = { UUID().uuidString.lowercased() }

    /// The offline default: the rules' own answer.
    public static let rulesOnly: @Sendable (ClassifyRequest) async -> Classification = { request in
        request.rules ?? RulesClassifier().classify(request)
    }

    public let configuration: Configuration
    let store: any Store
    let deployments: Deployments
    let clock: any RuntimeClock
    let signal: WakeSignal
    let metrics: RuntimeMetrics
    let logger: Logger
    let attempts = AttemptCounter()
    /// The dispatcher in this process that committed outbox rows are handed to (see
    /// `OutboxDispatcher.handoffLease`); nil: every row waits for a dispatcher's claim.
    let handoff: OutboxDispatcher?

    public init(store: any Store, deployments: Deployments, configuration: Configuration = Configuration(),
                clock: any RuntimeClock = SystemClock(), signal: WakeSignal = WakeSignal(),
                metrics: RuntimeMetrics = RuntimeMetrics(), logger: Logger = Logger(label: "arriwa.worker"),
                handoff: OutboxDispatcher? = nil) {
        self.handoff = handoff
        self.store = store
        self.deployments = deployments
        self.configuration = configuration
        self.clock = clock
        self.signal = signal
        self.metrics = metrics
        self.logger = logger
    }

    /// Ends the idle wait of up to `count` loops now (the webhook calls this after an append).
    public func wake(upTo count: Int = 1) async {
        await signal.wake(upTo: count)
    }

    public func run() async throws {
        logger.info("turn workers started", metadata: ["owner": "\(configuration.owner)", "loops": "\(configuration.concurrency)"])
        await withDiscardingTaskGroup { group in
            for index in 0..<configuration.concurrency {
                let owner = "\(configuration.owner)#\(index)"
                group.addTask { await self.loop(owner: owner) }
            }
        }
        logger.info("turn workers stopped", metadata: ["owner": "\(configuration.owner)"])
    }

    /// Until shutdown: claim, process, repeat at once while there is work; wait when idle.
    func loop(owner: String) async {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let worked = await pollOnce(owner: owner)
            if !worked { await signal.wait(timeout: configuration.idlePoll) }
        }
    }

    /// One claim and its lanes. Returns whether there was anything to do.
    @discardableResult
    public func pollOnce(owner: String) async -> Bool {
        let claims: [LaneClaim]
        do {
            claims = try await store.claimLanes(owner: owner, limit: configuration.lanesPerClaim,
                                                perLane: configuration.entriesPerLane, now: await clock.now(),
                                                leaseMillis: configuration.leaseMillis)
        } catch {
            metrics.error(.worker)
            logger.error("claiming lanes failed", metadata: ["owner": "\(owner)", "error": "\(error)"])
            return false
        }
        if claims.count == 1, let claim = claims.first {
            await process(claim, owner: owner)
        } else if !claims.isEmpty {
            await processBatch(claims, owner: owner)
        }
        return !claims.isEmpty
    }
}

/// Failed attempts per inbox entry, in this process (a poison entry is failed after N).
actor AttemptCounter {
    private var counts: [Int64: Int] = [:]

    func increment(_ seq: Int64) -> Int {
        counts[seq, default: 0] += 1
        return counts[seq] ?? 0
    }

    func clear(_ seq: Int64) {
        counts[seq] = nil
    }
}
