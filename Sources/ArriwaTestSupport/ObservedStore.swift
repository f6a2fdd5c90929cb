public import ArriwaCore
public import ArriwaStore

/// A test double of the storage layer (not of an external service): forwards everything to a real
/// store, can make `ping` fail (for `/readyz`), and watches lane leases so a test can prove that
/// no two workers ever hold one lane at once.
public final class ObservedStore: Store {
    public let base: any Store
    public let leases = LeaseWatch()
    let pingError: (any Error)?
    let commitDelay: Duration?
    let appendRefusals: AppendRefusals?

    /// - Parameter commitDelay: makes every commit slower (as a real database is), so concurrent
    ///   workers really interleave.
    ///   - appendRefusals: makes inbox appends fail while it has refusals left (an outage).
    public init(_ base: any Store, pingError: (any Error)? = nil, commitDelay: Duration? = nil, appendRefusals: AppendRefusals? = nil) {
        self.base = base
        self.pingError = pingError
        self.commitDelay = commitDelay
        self.appendRefusals = appendRefusals
    }

    public var kind: String { base.kind }

    @discardableResult
    public func migrate() async throws -> [Int] { try await base.migrate() }
    public func schemaVersion() async throws -> Int { try await base.schemaVersion() }
    public func ping() async throws {
        if let pingError { throw pingError }
        try await base.ping()
    }
    public func shutdown() async throws { try await base.shutdown() }

    @discardableResult
    public func saveFlowVersion(_ record: FlowVersionRecord) async throws -> Bool { try await base.saveFlowVersion(record) }
    public func flowVersion(tenant: String, version: String) async throws -> FlowVersionRecord? {
        try await base.flowVersion(tenant: tenant, version: version)
    }
    public func activeFlowVersion(tenant: String) async throws -> FlowVersionRecord? { try await base.activeFlowVersion(tenant: tenant) }
    public func flowVersions(tenant: String) async throws -> [FlowVersionRecord] { try await base.flowVersions(tenant: tenant) }

    public func appendInbox(_ item: InboxItem) async throws -> InboxAppendResult {
        if let appendRefusals, await appendRefusals.take() {
            throw StoreError(.unavailable, "inbox append refused (ObservedStore.appendRefusals)")
        }
        return try await base.appendInbox(item)
    }
    public func claimLanes(owner: String, limit: Int, perLane: Int, now: Int64, leaseMillis: Int64) async throws -> [LaneClaim] {
        let claims = try await base.claimLanes(owner: owner, limit: limit, perLane: perLane, now: now, leaseMillis: leaseMillis)
        await leases.polled(by: owner)
        for claim in claims { await leases.begin(tenant: claim.tenant, lane: claim.lane, owner: owner) }
        return claims
    }
    public func releaseLane(tenant: String, lane: String, owner: String) async throws {
        // Recorded before the store releases: until then nobody else can claim the lane.
        await leases.end(tenant: tenant, lane: lane, owner: owner)
        try await base.releaseLane(tenant: tenant, lane: lane, owner: owner)
    }
    public func failInbox(seq: Int64, owner: String, error: String, now: Int64) async throws {
        try await base.failInbox(seq: seq, owner: owner, error: error, now: now)
    }
    public func pendingInboxCount() async throws -> Int { try await base.pendingInboxCount() }

    public func session(tenant: String, id: String) async throws -> SessionState? { try await base.session(tenant: tenant, id: id) }
    public func latestSession(tenant: String, subscriberID: String) async throws -> SessionState? {
        try await base.latestSession(tenant: tenant, subscriberID: subscriberID)
    }
    public func laneState(tenant: String, lane: String) async throws -> LaneState {
        try await base.laneState(tenant: tenant, lane: lane)
    }
    public func subscriber(tenant: String, lane: String) async throws -> SubscriberRecord? {
        try await base.subscriber(tenant: tenant, lane: lane)
    }
    public func commitTurn(_ commit: TurnCommit) async throws -> TurnCommitResult {
        if let commitDelay { try await Task.sleep(for: commitDelay) }
        await leases.committed(tenant: commit.tenant, lane: commit.lane, owner: commit.owner, consumed: commit.consumed)
        if commit.releaseLane { await leases.end(tenant: commit.tenant, lane: commit.lane, owner: commit.owner) }
        return try await base.commitTurn(commit)
    }

    public func promoteDueTimers(now: Int64, limit: Int) async throws -> Int { try await base.promoteDueTimers(now: now, limit: limit) }
    public func nextTimerDue() async throws -> Int64? { try await base.nextTimerDue() }
    public func pendingTimers(tenant: String, sessionID: String) async throws -> [TimerRecord] {
        try await base.pendingTimers(tenant: tenant, sessionID: sessionID)
    }
    public func pendingTimerCount() async throws -> Int { try await base.pendingTimerCount() }

    public func claimOutbox(owner: String, limit: Int, now: Int64, leaseMillis: Int64) async throws -> [OutboxRecord] {
        try await base.claimOutbox(owner: owner, limit: limit, now: now, leaseMillis: leaseMillis)
    }
    public func completeOutbox(id: Int64, owner: String, outcome: OutboxOutcome, now: Int64, sent: SentMessage?) async throws {
        try await base.completeOutbox(id: id, owner: owner, outcome: outcome, now: now, sent: sent)
    }
    public func outbox(_ filter: OutboxFilter) async throws -> [OutboxRecord] { try await base.outbox(filter) }
    @discardableResult
    public func retryOutbox(ids: [Int64], now: Int64) async throws -> Int { try await base.retryOutbox(ids: ids, now: now) }
    public func outboxCounts(tenant: String?) async throws -> [OutboxStatus: Int] { try await base.outboxCounts(tenant: tenant) }
    public func outboxBacklog() async throws -> Int { try await base.outboxBacklog() }

    public func messageLog(tenant: String, messageID: String) async throws -> MessageLogRecord? {
        try await base.messageLog(tenant: tenant, messageID: messageID)
    }
    public func recordDelivery(tenant: String, messageID: String, providerMessageID: String?, state: String, at: Int64) async throws {
        try await base.recordDelivery(tenant: tenant, messageID: messageID, providerMessageID: providerMessageID, state: state, at: at)
    }
    public func auditLog(tenant: String, sessionID: String?, limit: Int) async throws -> [AuditRecord] {
        try await base.auditLog(tenant: tenant, sessionID: sessionID, limit: limit)
    }
    public func appendAudit(tenant: String, record: AuditRecord) async throws {
        try await base.appendAudit(tenant: tenant, record: record)
    }
    public func prune(olderThan cutoff: Int64, limit: Int) async throws -> PruneCounts {
        try await base.prune(olderThan: cutoff, limit: limit)
    }
    public func saveContactAddress(_ address: ContactAddress) async throws { try await base.saveContactAddress(address) }
    public func contactAddress(tenant: String, lane: String) async throws -> ContactAddress? {
        try await base.contactAddress(tenant: tenant, lane: lane)
    }
    public func eventLog(tenant: String, sessionID: String?, limit: Int) async throws -> [EventLogRecord] {
        try await base.eventLog(tenant: tenant, sessionID: sessionID, limit: limit)
    }
}

/// How many inbox appends an `ObservedStore` refuses before it lets them through again.
public actor AppendRefusals {
    public private(set) var remaining: Int

    public init(_ count: Int) {
        remaining = max(0, count)
    }

    func take() -> Bool {
        guard remaining > 0 else { return false }
        remaining -= 1
        return true
    }
}

/// Who holds which lane, as seen from the workers' calls; counts overlaps and commits per entry.
public actor LeaseWatch {
    private var holders: [String: String] = [:]
    public private(set) var overlaps: [String] = []
    public private(set) var claims = 0
    /// Commit attempts per inbox seq (a retried commit after a conflict counts again).
    public private(set) var commitAttempts: [Int64: Int] = [:]
    public private(set) var owners: Set<String> = []
    /// Everyone who asked for lanes, with or without getting any.
    public private(set) var pollers: Set<String> = []

    func polled(by owner: String) {
        pollers.insert(owner)
    }

    func begin(tenant: String, lane: String, owner: String) {
        claims += 1
        owners.insert(owner)
        let key = "\(tenant)/\(lane)"
        if let holder = holders[key], holder != owner { overlaps.append("\(key): \(holder) and \(owner)") }
        holders[key] = owner
    }

    func end(tenant: String, lane: String, owner: String) {
        let key = "\(tenant)/\(lane)"
        if holders[key] == owner { holders[key] = nil }
    }

    func committed(tenant: String, lane: String, owner: String, consumed: [Int64]) {
        let key = "\(tenant)/\(lane)"
        if let holder = holders[key], holder != owner { overlaps.append("\(key): commit by \(owner) while \(holder) holds it") }
        for seq in consumed { commitAttempts[seq, default: 0] += 1 }
    }
}
