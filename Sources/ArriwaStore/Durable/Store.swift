public import ArriwaCore

/// The durable store behind `arriwa serve`: flow versions, subscribers, sessions, the inbox,
/// timers, the outbox and the logs. Three implementations pass one conformance suite:
/// `PostgresStore` (production, many replicas on one database), `SQLiteStore` (the embedded
/// default) and `InMemoryStore` (tests, demos).
///
/// The contract, in the words of ../shared/ARCHITECTURE.md's durability rules:
/// - **Inbox first.** `appendInbox` is the only write a webhook makes; a provider message id
///   already present changes nothing (`.duplicate`).
/// - **One turn per lane at a time, in arrival order.** A lane is the serialisation key of one
///   lead within a tenant (the subscriber's phone hash or business-scoped id). `claimLanes`
///   leases lanes with pending entries to one worker; nobody else gets a lane while its lease
///   runs; an expired lease (a crashed worker) is taken over by the next claim.
/// - **One commit per turn.** `commitTurn` writes the session's new state, the outbox rows,
///   timer changes, log rows and marks the consumed inbox entries done — all or nothing. It
///   fails with `.leaseLost` if the worker no longer holds the lane and with `.turnConflict` if
///   the session moved on (another executor committed the same turn): nothing is applied twice.
/// - **Timers are rows.** `promoteDueTimers` moves due timers into the inbox of their lane in one
///   transaction, so a fired timer is processed in order with the lead's messages and survives
///   restarts; a timer cancelled in the same commit that replaced its wait never fires.
/// - **Outbox.** Rows are unique per (tenant, key); `claimOutbox` leases due rows to one
///   dispatcher; `completeOutbox` records delivery, a retry time or a dead letter.
public protocol Store: Sendable {
    /// Which implementation ("postgres", "sqlite", "memory"), for logs and `/readyz`.
    var kind: String { get }

    // MARK: Lifecycle

    /// Applies pending schema migrations (idempotent, safe to run from several processes at
    /// once) and returns the versions it applied now.
    @discardableResult
    func migrate() async throws -> [Int]
    /// The highest applied migration version (0 before any).
    func schemaVersion() async throws -> Int
    /// Cheap round trip to the database (for `/readyz`).
    func ping() async throws
    /// Releases connections. The store is unusable afterwards.
    func shutdown() async throws

    // MARK: Flow versions

    /// Stores a deployed flow version. Versions are content-hashed and immutable: saving the
    /// same (tenant, version) again changes nothing and returns false. The saved version becomes
    /// the tenant's active one (new sessions start on it).
    @discardableResult
    func saveFlowVersion(_ record: FlowVersionRecord) async throws -> Bool
    func flowVersion(tenant: String, version: String) async throws -> FlowVersionRecord?
    /// The version new sessions of the tenant start on.
    func activeFlowVersion(tenant: String) async throws -> FlowVersionRecord?
    /// All versions of a tenant, oldest first.
    func flowVersions(tenant: String) async throws -> [FlowVersionRecord]

    // MARK: Inbox

    /// Durably appends an inbound event. Dedupes on (tenant, dedupeKey).
    func appendInbox(_ item: InboxItem) async throws -> InboxAppendResult
    /// Leases up to `limit` lanes that have pending inbox entries, oldest entry first, to
    /// `owner` until `now + leaseMillis`, with each lane's pending entries in arrival order
    /// (at most `perLane`). A lane leased to someone else whose lease has not expired is skipped.
    /// A store may read each lane's state along (`LaneClaim.state`).
    func claimLanes(owner: String, limit: Int, perLane: Int, now: Int64, leaseMillis: Int64) async throws -> [LaneClaim]
    /// Gives a lane back without committing (e.g. on shutdown). Only the owner's lease is released.
    func releaseLane(tenant: String, lane: String, owner: String) async throws
    /// Marks an entry that cannot be processed (it failed every attempt) as failed with the
    /// error, so it no longer blocks its lane; it stays in the table for inspection.
    func failInbox(seq: Int64, owner: String, error: String, now: Int64) async throws
    /// Pending (not yet done) inbox entries, for operators and tests.
    func pendingInboxCount() async throws -> Int

    // MARK: Turns

    func session(tenant: String, id: String) async throws -> SessionState?
    /// The lead's most recent session (returning lead), by subscriber id.
    func latestSession(tenant: String, subscriberID: String) async throws -> SessionState?
    func subscriber(tenant: String, lane: String) async throws -> SubscriberRecord?
    /// The lane's subscriber and that subscriber's latest session — what a turn for an inbound
    /// message reads first. One round trip where the store can; the default asks twice.
    func laneState(tenant: String, lane: String) async throws -> LaneState
    /// Applies one turn atomically. See `TurnCommit`.
    func commitTurn(_ commit: TurnCommit) async throws -> TurnCommitResult

    // MARK: Batched turns (several lanes at once; see Store+Batch.swift)

    /// `laneState` for several lanes in one round trip where the store can. Lanes without a
    /// subscriber are absent from the answer.
    func laneStates(_ lanes: [LaneRef]) async throws -> [LaneRef: LaneState]
    /// Sessions by id, in one round trip where the store can. Missing ones are absent.
    func sessions(_ refs: [SessionRef]) async throws -> [SessionRef: SessionState]
    /// Applies several turns of DIFFERENT lanes, each atomically and with `commitTurn`'s checks,
    /// answering each in order. Where the store can, they share one transaction; when any of
    /// them fails a check the store rolls the shared attempt back and commits each alone, so
    /// every turn gets exactly the answer `commitTurn` would have given it.
    func commitTurns(_ commits: [TurnCommit]) async -> [Result<TurnCommitResult, any Error>]

    // MARK: Timers

    /// Moves up to `limit` timers due at or before `now` into their lanes' inboxes (dedupe key
    /// `timer:{id}`), in one transaction; returns how many moved. Safe from several processes.
    func promoteDueTimers(now: Int64, limit: Int) async throws -> Int
    /// The earliest pending timer's due time, if any (the scheduler sleeps until then).
    func nextTimerDue() async throws -> Int64?
    func pendingTimers(tenant: String, sessionID: String) async throws -> [TimerRecord]
    func pendingTimerCount() async throws -> Int

    // MARK: Outbox

    /// Leases up to `limit` pending rows due at `now` to `owner` until `now + leaseMillis`.
    func claimOutbox(owner: String, limit: Int, now: Int64, leaseMillis: Int64) async throws -> [OutboxRecord]
    /// Records the result of one delivery attempt of a claimed row and, with `sent`, that the
    /// channel sent that message (`sent` state and the provider's id in the message log, as
    /// `recordDelivery` would) — both in one transaction. The message log is written even when the
    /// row's lease was lost: the message did go out.
    func completeOutbox(id: Int64, owner: String, outcome: OutboxOutcome, now: Int64, sent: SentMessage?) async throws
    func outbox(_ filter: OutboxFilter) async throws -> [OutboxRecord]
    /// Puts dead (or failed) rows back to pending, due now. Returns how many.
    @discardableResult
    func retryOutbox(ids: [Int64], now: Int64) async throws -> Int
    func outboxCounts(tenant: String?) async throws -> [OutboxStatus: Int]
    /// Rows waiting for delivery (status pending, leased or not), over all tenants: the
    /// dispatcher's backlog gauge, refreshed every second. Counted through the `outbox_due` index,
    /// so it costs the backlog's size, never the whole table's (`outboxCounts` scans every row).
    func outboxBacklog() async throws -> Int

    // MARK: Logs

    /// The session and lane an outbound message (our id or the provider's) belongs to.
    func messageLog(tenant: String, messageID: String) async throws -> MessageLogRecord?
    /// Links the provider's id to our message and records a delivery state (never moves back).
    func recordDelivery(tenant: String, messageID: String, providerMessageID: String?, state: String, at: Int64) async throws
    func auditLog(tenant: String, sessionID: String?, limit: Int) async throws -> [AuditRecord]
    /// Writes an audit record outside a turn (e.g. a webhook refused for a bad signature; the
    /// session id is empty when there is none).
    func appendAudit(tenant: String, record: AuditRecord) async throws

    // MARK: Retention

    /// Deletes up to `limit` processed rows older than `cutoff` (unix ms): inbox entries that
    /// are done (received before it) and outbox rows that were delivered (before it). Pending,
    /// failed and dead rows, sessions, timers and the logs are never pruned. Returns what went.
    func prune(olderThan cutoff: Int64, limit: Int) async throws -> PruneCounts

    // MARK: Contacts

    /// Stores (or replaces) how to reach the lead of a lane: the provider address, sealed by the
    /// channel layer (the store never sees a phone number in clear).
    func saveContactAddress(_ address: ContactAddress) async throws
    func contactAddress(tenant: String, lane: String) async throws -> ContactAddress?
    func eventLog(tenant: String, sessionID: String?, limit: Int) async throws -> [EventLogRecord]
}

/// A lane's subscriber and its latest session (see `Store.laneState`).
public struct LaneState: Sendable, Hashable {
    public var subscriber: SubscriberRecord?
    public var session: SessionState?

    public init(subscriber: SubscriberRecord?, session: SessionState?) {
        self.subscriber = subscriber
        self.session = session
    }
}

extension Store {
    public func laneState(tenant: String, lane: String) async throws -> LaneState {
        guard let subscriber = try await subscriber(tenant: tenant, lane: lane) else { return LaneState(subscriber: nil, session: nil) }
        return LaneState(subscriber: subscriber, session: try await latestSession(tenant: tenant, subscriberID: subscriber.subscriberID))
    }
}
