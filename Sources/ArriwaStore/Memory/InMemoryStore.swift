public import ArriwaCore

/// The `Store` contract in memory, for tests and demos: the same semantics as the SQL stores
/// (one lease per lane, all-or-nothing commits, unique keys), none of the durability.
public actor InMemoryStore: Store {
    public nonisolated var kind: String { "memory" }

    private struct LaneKey: Hashable {
        var tenant: String
        var lane: String
    }

    private struct InboxRow {
        var entry: InboxEntry
        var status: String // pending, done, failed
        var error: String?
    }

    private struct StoredSession {
        var state: SessionState
        var lane: String
    }

    private struct OutboxRow {
        var record: OutboxRecord
        var owner: String?
    }

    private var migrated = false
    private var flowVersions: [String: [FlowVersionRecord]] = [:]
    private var activeVersion: [String: String] = [:]
    private var subscribers: [LaneKey: SubscriberRecord] = [:]
    private var sessions: [LaneKey: StoredSession] = [:] // key: (tenant, session id)
    private var latest: [LaneKey: String] = [:] // (tenant, subscriber id) → session id
    private var inbox: [Int64: InboxRow] = [:]
    private var inboxKeys: Set<LaneKey> = [] // (tenant, dedupe key)
    private var inboxSeq: Int64 = 0
    private var leases: [LaneKey: (owner: String, until: Int64)] = [:]
    private var timers: [LaneKey: TimerRecord] = [:] // (tenant, timer id)
    private var outboxRows: [Int64: OutboxRow] = [:]
    private var outboxKeys: Set<String> = []
    private var outboxSeq: Int64 = 0
    private var messageLog: [LaneKey: MessageLogRecord] = [:] // (tenant, message id)
    private var providerIDs: [LaneKey: String] = [:] // (tenant, provider id) → message id
    private var audits: [(tenant: String, record: AuditRecord)] = []
    private var events: [LaneKey: EventLogRecord] = [:] // (tenant, key)
    private var eventOrder: [LaneKey] = []
    private var addresses: [LaneKey: ContactAddress] = [:] // (tenant, lane)

    public init() {}

    // MARK: Lifecycle

    @discardableResult
    public func migrate() async throws -> [Int] {
        if migrated { return [] }
        migrated = true
        return [1]
    }

    public func schemaVersion() async throws -> Int { migrated ? 1 : 0 }
    public func ping() async throws {}
    public func shutdown() async throws {}

    // MARK: Flow versions

    public func saveFlowVersion(_ record: FlowVersionRecord) async throws -> Bool {
        activeVersion[record.tenant] = record.version
        if flowVersions[record.tenant, default: []].contains(where: { $0.version == record.version }) { return false }
        flowVersions[record.tenant, default: []].append(record)
        return true
    }

    public func flowVersion(tenant: String, version: String) async throws -> FlowVersionRecord? {
        flowVersions[tenant]?.first { $0.version == version }
    }

    public func activeFlowVersion(tenant: String) async throws -> FlowVersionRecord? {
        guard let version = activeVersion[tenant] else { return nil }
        return try await flowVersion(tenant: tenant, version: version)
    }

    public func flowVersions(tenant: String) async throws -> [FlowVersionRecord] { flowVersions[tenant] ?? [] }

    // MARK: Inbox

    public func appendInbox(_ item: InboxItem) async throws -> InboxAppendResult {
        guard inboxKeys.insert(LaneKey(tenant: item.tenant, lane: item.dedupeKey)).inserted else { return .duplicate }
        inboxSeq += 1
        inbox[inboxSeq] = InboxRow(entry: InboxEntry(seq: inboxSeq, item: item), status: "pending")
        return .appended(seq: inboxSeq)
    }

    public func claimLanes(owner: String, limit: Int, perLane: Int, now: Int64, leaseMillis: Int64) async throws -> [LaneClaim] {
        var byLane: [LaneKey: [InboxEntry]] = [:]
        var order: [LaneKey] = []
        for seq in inbox.keys.sorted() {
            guard let row = inbox[seq], row.status == "pending" else { continue }
            let key = LaneKey(tenant: row.entry.item.tenant, lane: row.entry.item.lane)
            if let lease = leases[key], lease.until > now { continue }
            if byLane[key] == nil {
                guard order.count < limit else { continue }
                order.append(key)
            }
            if byLane[key, default: []].count < perLane { byLane[key, default: []].append(row.entry) }
        }
        return order.map { key in
            leases[key] = (owner, now + leaseMillis)
            return LaneClaim(tenant: key.tenant, lane: key.lane, leaseUntil: now + leaseMillis, entries: byLane[key] ?? [])
        }
    }

    public func releaseLane(tenant: String, lane: String, owner: String) async throws {
        let key = LaneKey(tenant: tenant, lane: lane)
        if leases[key]?.owner == owner { leases[key] = nil }
    }

    public func failInbox(seq: Int64, owner: String, error: String, now: Int64) async throws {
        guard var row = inbox[seq], row.status == "pending" else { return }
        let key = LaneKey(tenant: row.entry.item.tenant, lane: row.entry.item.lane)
        guard let lease = leases[key], lease.owner == owner, lease.until > now else {
            throw StoreError(.leaseLost, "lane \(row.entry.item.lane) of tenant \(row.entry.item.tenant) is not leased to \(owner)")
        }
        row.status = "failed"
        row.error = error
        inbox[seq] = row
    }

    public func pendingInboxCount() async throws -> Int { inbox.values.filter { $0.status == "pending" }.count }

    // MARK: Turns

    public func session(tenant: String, id: String) async throws -> SessionState? {
        sessions[LaneKey(tenant: tenant, lane: id)]?.state
    }

    public func latestSession(tenant: String, subscriberID: String) async throws -> SessionState? {
        guard let id = latest[LaneKey(tenant: tenant, lane: subscriberID)] else { return nil }
        return sessions[LaneKey(tenant: tenant, lane: id)]?.state
    }

    public func subscriber(tenant: String, lane: String) async throws -> SubscriberRecord? {
        subscribers[LaneKey(tenant: tenant, lane: lane)]
    }

    public func commitTurn(_ commit: TurnCommit) async throws -> TurnCommitResult {
        // Check everything first: all or nothing.
        let laneKey = LaneKey(tenant: commit.tenant, lane: commit.lane)
        guard let lease = leases[laneKey], lease.owner == commit.owner, lease.until > commit.now else {
            throw StoreError(.leaseLost, "lane \(commit.lane) of tenant \(commit.tenant) is not leased to \(commit.owner)")
        }
        for seq in commit.consumed {
            guard let row = inbox[seq], row.status == "pending" else {
                throw StoreError(.alreadyApplied, "inbox entry \(seq) is not pending")
            }
        }
        if let state = commit.session {
            let stored = sessions[LaneKey(tenant: commit.tenant, lane: state.id)]
            switch (stored, commit.expectedTurn) {
            case (nil, nil): break
            case (let stored?, let expected?) where stored.state.turn == expected: break
            case (let stored?, let expected):
                throw StoreError(.turnConflict, "session \(state.id) is at turn \(stored.state.turn), the commit expected \(expected.map(String.init) ?? "a new session")")
            case (nil, let expected?):
                throw StoreError(.turnConflict, "session \(state.id) does not exist, the commit expected turn \(expected)")
            }
        }

        // Apply.
        for seq in commit.consumed { inbox[seq]?.status = "done" }
        if let subscriber = commit.subscriber, subscribers[laneKey] == nil { subscribers[laneKey] = subscriber }
        if var state = commit.session {
            let key = LaneKey(tenant: commit.tenant, lane: state.id)
            if let stored = sessions[key] {
                // Attribution is immutable once set: the stored one wins.
                if !stored.state.attribution.isEmpty { state.attribution = stored.state.attribution }
                if stored.state.referralRaw != nil { state.referralRaw = stored.state.referralRaw }
            } else {
                // The latest session is the most recently created one (as the SQL stores order by
                // created_at): a later turn of an older session (a stale timer) does not make it latest.
                latest[LaneKey(tenant: commit.tenant, lane: state.subscriberID)] = state.id
            }
            sessions[key] = StoredSession(state: state, lane: commit.lane)
        }
        for id in commit.cancel { timers[LaneKey(tenant: commit.tenant, lane: id)] = nil }
        for timer in commit.schedule { timers[LaneKey(tenant: commit.tenant, lane: timer.timer.id)] = timer }
        var stored: [OutboxTriple: Int64] = [:]
        for item in commit.outbox {
            guard outboxKeys.insert(Self.outboxUnique(item)).inserted else { continue }
            outboxSeq += 1
            let start = commit.outboxStart(of: item)
            outboxRows[outboxSeq] = OutboxRow(record: OutboxRecord(id: outboxSeq, item: item, status: .pending, attempts: start.attempts,
                                                                   nextAttemptAt: start.nextAttemptAt, lastError: nil,
                                                                   createdAt: commit.now, deliveredAt: nil, remoteID: nil), owner: start.owner)
            stored[OutboxTriple(tenant: item.tenant, destination: item.destination, key: item.key)] = outboxSeq
        }
        for record in commit.audit { audits.append((commit.tenant, record)) }
        for message in commit.messages where messageLog[LaneKey(tenant: commit.tenant, lane: message.messageID)] == nil {
            messageLog[LaneKey(tenant: commit.tenant, lane: message.messageID)] = message
        }
        for event in commit.events {
            let key = LaneKey(tenant: commit.tenant, lane: event.key)
            if events[key] == nil {
                events[key] = event
                eventOrder.append(key)
            }
        }
        for id in commit.replied {
            let key = LaneKey(tenant: commit.tenant, lane: id)
            if var record = messageLog[key], DeliveryState.accepts(DeliveryState.replied, over: record.state) {
                record.state = DeliveryState.replied
                record.updatedAt = commit.now
                messageLog[key] = record
            }
        }
        if commit.releaseLane { leases[laneKey] = nil }
        return TurnCommit.results([commit], stored: stored).first ?? TurnCommitResult()
    }

    // MARK: Timers

    public func promoteDueTimers(now: Int64, limit: Int) async throws -> Int {
        let due = timers.values.filter { $0.timer.dueAt <= now }
            .sorted { ($0.timer.dueAt, $0.timer.id) < ($1.timer.dueAt, $1.timer.id) }
            .prefix(max(0, limit))
        for timer in due {
            timers[LaneKey(tenant: timer.tenant, lane: timer.timer.id)] = nil
            _ = try await appendInbox(InboxItem(tenant: timer.tenant, lane: timer.lane, dedupeKey: timer.dedupeKey, kind: .timer,
                                                event: .timer(TimerFired(timer.timer)), receivedAt: now))
        }
        return due.count
    }

    public func nextTimerDue() async throws -> Int64? { timers.values.map(\.timer.dueAt).min() }

    public func pendingTimers(tenant: String, sessionID: String) async throws -> [TimerRecord] {
        timers.values.filter { $0.tenant == tenant && $0.timer.sessionID == sessionID }
            .sorted { ($0.timer.dueAt, $0.timer.id) < ($1.timer.dueAt, $1.timer.id) }
    }

    public func pendingTimerCount() async throws -> Int { timers.count }

    // MARK: Outbox

    public func claimOutbox(owner: String, limit: Int, now: Int64, leaseMillis: Int64) async throws -> [OutboxRecord] {
        let due = outboxRows.values.filter { $0.record.status == .pending && $0.record.nextAttemptAt <= now }
            .sorted { ($0.record.nextAttemptAt, $0.record.id) < ($1.record.nextAttemptAt, $1.record.id) }
            .prefix(max(0, limit))
        return due.map { row in
            var row = row
            row.record.attempts += 1
            row.record.nextAttemptAt = now + leaseMillis
            let inDoubt = row.owner != nil
            row.owner = owner
            outboxRows[row.record.id] = row
            var claimed = row.record
            claimed.inDoubt = inDoubt
            return claimed
        }
    }

    public func completeOutbox(id: Int64, owner: String, outcome: OutboxOutcome, now: Int64, sent: SentMessage?) async throws {
        if let sent {
            try await recordDelivery(tenant: sent.tenant, messageID: sent.messageID, providerMessageID: sent.providerMessageID,
                                     state: DeliveryState.sent, at: sent.at)
        }
        guard var row = outboxRows[id], row.owner == owner, row.record.status == .pending else { return }
        switch outcome {
        case .delivered(let remoteID):
            row.record.status = .delivered
            row.record.deliveredAt = now
            row.record.remoteID = remoteID
        case .retry(let at, let error):
            row.record.nextAttemptAt = at
            row.record.lastError = error
        case .dead(let error):
            row.record.status = .dead
            row.record.lastError = error
        }
        row.owner = nil
        outboxRows[id] = row
    }

    public func outbox(_ filter: OutboxFilter) async throws -> [OutboxRecord] {
        outboxRows.values.map(\.record)
            .filter { record in
                (filter.tenant.map { $0 == record.item.tenant } ?? true)
                    && (filter.status.map { $0 == record.status } ?? true)
                    && (filter.destination.map { $0 == record.item.destination } ?? true)
            }
            .sorted { $0.id < $1.id }
            .prefix(max(0, filter.limit))
            .map { $0 }
    }

    public func retryOutbox(ids: [Int64], now: Int64) async throws -> Int {
        var count = 0
        for id in ids {
            guard var row = outboxRows[id], row.record.status == .dead || (row.record.status == .pending && row.record.lastError != nil) else { continue }
            row.record.status = .pending
            row.record.nextAttemptAt = now
            row.owner = nil
            outboxRows[id] = row
            count += 1
        }
        return count
    }

    public func outboxCounts(tenant: String?) async throws -> [OutboxStatus: Int] {
        var counts: [OutboxStatus: Int] = [:]
        for row in outboxRows.values where tenant.map({ $0 == row.record.item.tenant }) ?? true {
            counts[row.record.status, default: 0] += 1
        }
        return counts
    }

    public func outboxBacklog() async throws -> Int {
        outboxRows.values.count { $0.record.status == .pending }
    }

    // MARK: Logs

    public func messageLog(tenant: String, messageID: String) async throws -> MessageLogRecord? {
        if let record = messageLog[LaneKey(tenant: tenant, lane: messageID)] { return record }
        guard let ours = providerIDs[LaneKey(tenant: tenant, lane: messageID)] else { return nil }
        return messageLog[LaneKey(tenant: tenant, lane: ours)]
    }

    public func recordDelivery(tenant: String, messageID: String, providerMessageID: String?, state: String, at: Int64) async throws {
        guard var record = try await messageLog(tenant: tenant, messageID: messageID) else { return }
        if let providerMessageID {
            record.providerMessageID = providerMessageID
            providerIDs[LaneKey(tenant: tenant, lane: providerMessageID)] = record.messageID
        }
        if DeliveryState.accepts(state, over: record.state) {
            record.state = state
            record.updatedAt = at
        }
        messageLog[LaneKey(tenant: tenant, lane: record.messageID)] = record
    }

    public func auditLog(tenant: String, sessionID: String?, limit: Int) async throws -> [AuditRecord] {
        Array(audits.filter { row in row.tenant == tenant && (sessionID.map { row.record.sessionID == $0 } ?? true) }
            .map(\.record).prefix(max(0, limit)))
    }

    private static func outboxUnique(_ item: OutboxItem) -> String {
        "\(item.tenant)\u{0}\(item.destination)\u{0}\(item.key)"
    }

    public func prune(olderThan cutoff: Int64, limit: Int) async throws -> PruneCounts {
        guard limit > 0 else { return PruneCounts() }
        // As the SQL stores: the row and its unique key go together.
        let oldInbox = inbox.values.filter { $0.status == "done" && $0.entry.item.receivedAt < cutoff }
            .map(\.entry).sorted { $0.seq < $1.seq }.prefix(limit)
        for entry in oldInbox {
            inbox[entry.seq] = nil
            inboxKeys.remove(LaneKey(tenant: entry.item.tenant, lane: entry.item.dedupeKey))
        }
        let oldOutbox = outboxRows.values.map(\.record)
            .filter { $0.status == .delivered && ($0.deliveredAt ?? .max) < cutoff }.sorted { $0.id < $1.id }.prefix(limit)
        for record in oldOutbox {
            outboxRows[record.id] = nil
            outboxKeys.remove(Self.outboxUnique(record.item))
        }
        return PruneCounts(inbox: oldInbox.count, outbox: oldOutbox.count)
    }

    public func appendAudit(tenant: String, record: AuditRecord) async throws {
        audits.append((tenant, record))
    }

    public func saveContactAddress(_ address: ContactAddress) async throws {
        addresses[LaneKey(tenant: address.tenant, lane: address.lane)] = address
    }

    public func contactAddress(tenant: String, lane: String) async throws -> ContactAddress? {
        addresses[LaneKey(tenant: tenant, lane: lane)]
    }

    public func eventLog(tenant: String, sessionID: String?, limit: Int) async throws -> [EventLogRecord] {
        Array(eventOrder.compactMap { events[$0] }
            .filter { event in event.tenant == tenant && (sessionID.map { event.sessionID == $0 } ?? true) }
            .prefix(max(0, limit)))
    }
}
