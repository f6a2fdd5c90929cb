public import ArriwaCore
import Foundation
import PostgresNIO

/// Batched reads and commits of several lanes' turns: one round trip for the lot.
extension PostgresStore {
    public func laneStates(_ lanes: [LaneRef]) async throws -> [LaneRef: LaneState] {
        let keys = Array(Set(lanes))
        guard !keys.isEmpty else { return [:] }
        let rows = try await rows("""
            SELECT s.tenant, s.lane, s.subscriber_id, s.phone_hash, s.bsuid, s.phone_encrypted, s.created_at,
                   x.id, x.turn, x.attribution::text AS attribution, x.referral_raw, x.state::text AS state
            FROM unnest(\(keys.map(\.tenant))::text[], \(keys.map(\.lane))::text[]) AS k(tenant, lane)
            JOIN subscribers s ON s.tenant = k.tenant AND s.lane = k.lane
            LEFT JOIN LATERAL (
                SELECT id, turn, attribution, referral_raw, state FROM sessions
                WHERE tenant = s.tenant AND subscriber_id = s.subscriber_id ORDER BY created_at DESC, id DESC LIMIT 1
            ) x ON true
            """)
        let sessions = try await cachedSessions(rows)
        var states: [LaneRef: LaneState] = [:]
        for row in rows {
            let subscriber = try Self.subscriber(row)
            let id = try StoredRow(row, table: "sessions").optional("id", String.self)
            states[LaneRef(tenant: subscriber.tenant, lane: subscriber.lane)] = LaneState(
                subscriber: subscriber, session: id.flatMap { sessions[SessionRef(tenant: subscriber.tenant, id: $0)] })
        }
        return states
    }

    public func sessions(_ refs: [SessionRef]) async throws -> [SessionRef: SessionState] {
        let keys = Array(Set(refs))
        guard !keys.isEmpty else { return [:] }
        let rows = try await rows("""
            SELECT x.tenant, x.id, x.turn, x.attribution::text AS attribution, x.referral_raw, x.state::text AS state
            FROM unnest(\(keys.map(\.tenant))::text[], \(keys.map(\.id))::text[]) AS k(tenant, id)
            JOIN sessions x ON x.tenant = k.tenant AND x.id = k.id
            """)
        return try await cachedSessions(rows)
    }

    /// The sessions of rows carrying `tenant, id, turn` and the stored document: cached states at
    /// their stored turn, the others decoded (and remembered). Rows without a session are skipped.
    private func cachedSessions(_ rows: [PostgresRow]) async throws -> [SessionRef: SessionState] {
        var turns: [SessionRef: Int] = [:]
        for row in rows {
            let stored = StoredRow(row, table: "sessions")
            guard let id = try stored.optional("id", String.self) else { continue }
            turns[SessionRef(tenant: try stored.get("tenant"), id: id)] = Int(try stored.get("turn", Int64.self))
        }
        guard !turns.isEmpty else { return [:] }
        var sessions = await sessionCache.states(turns)
        var decoded: [SessionRef: SessionState] = [:]
        for row in rows {
            let stored = StoredRow(row, table: "sessions")
            guard let id = try stored.optional("id", String.self) else { continue }
            let ref = SessionRef(tenant: try stored.get("tenant"), id: id)
            if sessions[ref] == nil { decoded[ref] = try Self.session(row) }
        }
        if !decoded.isEmpty {
            await sessionCache.remember(decoded)
            sessions.merge(decoded) { $1 }
        }
        return sessions
    }

    /// One statement for the lot (atomic on its own, one round trip, one commit): data-modifying
    /// CTEs write every table from JSON record sets, and the final SELECT checks every lease,
    /// consumed entry and session turn, aborting the statement when one fails. Then each turn
    /// commits alone (`commitTurn`), so each gets its own answer.
    public func commitTurns(_ commits: [TurnCommit]) async -> [Result<TurnCommitResult, any Error>] {
        guard commits.count > 1, TurnCommit.canShareTransaction(commits) else { return await alone(commits) }
        do {
            let rows = try await prepared(try BatchTurnStatement(commits))
            guard let first = rows.first else { return await alone(commits) }
            let stored = try BatchTurnStatement.stored(first)
            sharedTurns.add(commits.count, ordering: .relaxed)
            await sessionCache.committed(commits)
            return TurnCommit.duplicateOutboxKeys(commits, stored: stored).map { .success(TurnCommitResult(duplicateOutboxKeys: $0)) }
        } catch {
            logger.debug("a shared commit of turns was rolled back; committing each alone",
                         metadata: ["turns": "\(commits.count)", "reason": "\(error)"])
            return await alone(commits)
        }
    }

    private func alone(_ commits: [TurnCommit]) async -> [Result<TurnCommitResult, any Error>] {
        aloneTurns.add(commits.count, ordering: .relaxed)
        return await commitEachAlone(commits)
    }

    /// How batched turn commits went (see `commitTurns`).
    public var batchStatistics: BatchCommitStatistics {
        BatchCommitStatistics(shared: sharedTurns.load(ordering: .relaxed), alone: aloneTurns.load(ordering: .relaxed))
    }
}

/// The one-statement commit of turns of different lanes (one turn: `commitTurn`; several:
/// `commitTurns`).
///
/// A prepared statement of one fixed text, whatever the turns hold: every table's record set is
/// bound (an empty one writes nothing) and the counts the checks compare with are parameters. The
/// server parses and analyses it once per connection, where a text built per batch was parsed and
/// analysed on every commit; it is still planned at every execution (`plan_cache_mode =
/// force_custom_plan`, set by `PostgresStore.open`), so the plan follows the tables' sizes.
///
/// The messages a turn marks replied are locked in primary-key order (`replying`), as batches of
/// delivery records lock theirs (`PostgresStore.recordDelivery`): locks taken in one order cannot
/// deadlock.
struct BatchTurnStatement: PostgresPreparedStatement {
    typealias Row = PostgresRow

    static let name = "arriwa_commit_turns_v1"

    /// The outbox rows the statement stored, from its `inserted` column.
    static func stored(_ row: PostgresRow) throws -> Set<OutboxTriple> {
        let inserted = try StoredRow(row, table: "outbox").get("inserted", [String].self)
        return Set(inserted.compactMap { text -> OutboxTriple? in
            let parts = text.split(separator: "\u{1F}", maxSplits: 2, omittingEmptySubsequences: false)
            return parts.count == 3 ? OutboxTriple(tenant: String(parts[0]), destination: String(parts[1]), key: String(parts[2])) : nil
        })
    }

    static let sql: String = {
        let laneColumns = "tenant text, lane text, owner text, now bigint"
        let sessionColumns = """
            tenant text, id text, lane text, subscriber_id text, flow_version text, status text, turn bigint, wait_token bigint,
            last_inbound_at bigint, opted_out boolean, snoozed_until bigint, human_active boolean, attribution text, referral_raw text,
            state text, now bigint, expected bigint
            """
        return """
            WITH kept AS (SELECT 1 FROM lanes l JOIN json_to_recordset($1::json) AS r(\(laneColumns))
                ON l.tenant = r.tenant AND l.lane = r.lane AND l.owner = r.owner AND l.lease_until > r.now FOR UPDATE OF l),
            released AS (DELETE FROM lanes l USING json_to_recordset($3::json) AS r(\(laneColumns))
                WHERE l.tenant = r.tenant AND l.lane = r.lane AND l.owner = r.owner AND l.lease_until > r.now RETURNING 1),
            consumed AS (UPDATE inbox SET status = 'done' WHERE seq = ANY($5::bigint[]) AND status = 'pending' RETURNING seq),
            upd AS (UPDATE sessions s SET lane = r.lane, subscriber_id = r.subscriber_id, flow_version = r.flow_version, status = r.status,
                    turn = r.turn, wait_token = r.wait_token, last_inbound_at = r.last_inbound_at, opted_out = r.opted_out,
                    snoozed_until = r.snoozed_until, human_active = r.human_active,
                    attribution = CASE WHEN s.attribution = '{}'::jsonb THEN r.attribution::jsonb ELSE s.attribution END,
                    referral_raw = COALESCE(s.referral_raw, r.referral_raw), state = r.state, updated_at = r.now
                FROM json_to_recordset($7::json) AS r(\(sessionColumns))
                WHERE s.tenant = r.tenant AND s.id = r.id AND s.turn = r.expected RETURNING 1),
            ins AS (INSERT INTO sessions (tenant, id, lane, subscriber_id, flow_version, status, turn, wait_token, last_inbound_at, opted_out,
                    snoozed_until, human_active, attribution, referral_raw, state, created_at, updated_at)
                SELECT r.tenant, r.id, r.lane, r.subscriber_id, r.flow_version, r.status, r.turn, r.wait_token, r.last_inbound_at, r.opted_out,
                    r.snoozed_until, r.human_active, r.attribution::jsonb, r.referral_raw, r.state, r.now, r.now
                FROM json_to_recordset($9::json) AS r(\(sessionColumns))
                ON CONFLICT (tenant, id) DO NOTHING RETURNING 1),
            sub AS (INSERT INTO subscribers (tenant, lane, subscriber_id, phone_hash, bsuid, phone_encrypted, created_at)
                SELECT r.tenant, r.lane, r.subscriber_id, r.phone_hash, r.bsuid, decode(r.phone_encrypted, 'base64'), r.created_at
                FROM json_to_recordset($11::json) AS r(tenant text, lane text, subscriber_id text, phone_hash text,
                                                       bsuid text, phone_encrypted text, created_at bigint)
                ON CONFLICT (tenant, lane) DO NOTHING),
            cancelled AS (DELETE FROM timers t USING json_to_recordset($12::json) AS r(tenant text, id text)
                WHERE t.tenant = r.tenant AND t.id = r.id),
            scheduled AS (INSERT INTO timers (tenant, id, lane, session_id, due_at, spec, dedupe_key, event)
                SELECT r.tenant, r.id, r.lane, r.session_id, r.due_at, r.spec::jsonb, r.dedupe_key, r.event::jsonb
                FROM json_to_recordset($13::json) AS r(tenant text, id text, lane text, session_id text, due_at bigint,
                                                       spec text, dedupe_key text, event text)
                ON CONFLICT (tenant, id) DO UPDATE SET lane = EXCLUDED.lane, session_id = EXCLUDED.session_id, due_at = EXCLUDED.due_at,
                    spec = EXCLUDED.spec, dedupe_key = EXCLUDED.dedupe_key, event = EXCLUDED.event),
            ob AS (INSERT INTO outbox (tenant, key, destination, session_id, lane, effect, available_at, status, attempts, next_attempt_at, created_at)
                SELECT r.tenant, r.key, r.destination, r.session_id, r.lane, r.effect::jsonb, r.available_at, 'pending', 0, r.available_at, r.now
                FROM json_to_recordset($14::json) AS r(ord int, tenant text, key text, destination text, session_id text, lane text,
                                                       effect text, available_at bigint, now bigint)
                ORDER BY r.ord
                ON CONFLICT (tenant, destination, key) DO NOTHING RETURNING tenant, destination, key),
            messages AS (INSERT INTO message_log (tenant, message_id, provider_message_id, session_id, lane, node, state, updated_at)
                SELECT r.tenant, r.message_id, r.provider_message_id, r.session_id, r.lane, r.node, r.state, r.updated_at
                FROM json_to_recordset($15::json) AS r(tenant text, message_id text, provider_message_id text, session_id text,
                                                       lane text, node text, state text, updated_at bigint)
                ON CONFLICT (tenant, message_id) DO NOTHING),
            events AS (INSERT INTO event_log (tenant, key, session_id, event, stream, at)
                SELECT r.tenant, r.key, r.session_id, r.event, r.stream, r.at
                FROM json_to_recordset($16::json) AS r(ord int, tenant text, key text, session_id text, event text, stream text, at bigint)
                ORDER BY r.ord
                ON CONFLICT (tenant, key) DO NOTHING),
            audit AS (INSERT INTO audit_log (tenant, session_id, type, detail, at)
                SELECT r.tenant, r.session_id, r.type, r.detail, r.at
                FROM json_to_recordset($17::json) AS r(ord int, tenant text, session_id text, type text, detail text, at bigint)
                ORDER BY r.ord),
            replying AS (SELECT m.tenant, m.message_id, r.now FROM message_log m
                JOIN json_to_recordset($18::json) AS r(tenant text, id text, now bigint) ON m.tenant = r.tenant AND m.message_id = r.id
                ORDER BY m.tenant, m.message_id FOR UPDATE OF m),
            replied AS (UPDATE message_log m SET state = 'replied', updated_at = x.now FROM replying x
                WHERE m.tenant = x.tenant AND m.message_id = x.message_id AND \(DeliveryState.sql(next: "'replied'", current: "m.state")))
            SELECT CASE WHEN (SELECT COUNT(*) FROM kept) <> $2::bigint THEN arriwa_abort('lease_lost')
                        WHEN (SELECT COUNT(*) FROM released) <> $4::bigint THEN arriwa_abort('lease_lost')
                        WHEN (SELECT COUNT(*) FROM consumed) <> $6::bigint THEN arriwa_abort('already_applied')
                        WHEN (SELECT COUNT(*) FROM upd) <> $8::bigint THEN arriwa_abort('turn_conflict')
                        WHEN (SELECT COUNT(*) FROM ins) <> $10::bigint THEN arriwa_abort('turn_conflict')
                        ELSE 0 END AS ok,
                   (SELECT COALESCE(array_agg(tenant || chr(31) || destination || chr(31) || key), '{}'::text[]) FROM ob) AS inserted
            """
    }()

    /// The record sets as JSON (keys are the column names) and the counts, in parameter order.
    private let kept: String, keptCount: Int64
    private let released: String, releasedCount: Int64
    private let seqs: [Int64], seqCount: Int64
    private let updates: String, updateCount: Int64
    private let inserts: String, insertCount: Int64
    private let subscribers: String, cancels: String, timers: String, outbox: String
    private let messages: String, events: String, audits: String, replied: String

    init(_ commits: [TurnCommit]) throws {
        let encoded = try commits.map(TurnRows.init)
        let encoder = JSONEncoder()
        func recordset<Row: Encodable>(_ rows: [Row]) throws -> String {
            if rows.isEmpty { return "[]" }
            do {
                return String(decoding: try encoder.encode(rows), as: UTF8.self)
            } catch {
                throw StoreError(.corrupt, "cannot encode commit rows: \(error)")
            }
        }
        let keptRows = commits.filter { !$0.releaseLane }.map(LaneRow.init)
        let releasedRows = commits.filter(\.releaseLane).map(LaneRow.init)
        kept = try recordset(keptRows)
        keptCount = Int64(keptRows.count)
        released = try recordset(releasedRows)
        releasedCount = Int64(releasedRows.count)
        seqs = commits.flatMap(\.consumed)
        seqCount = Int64(Set(seqs).count)
        // Updates of sessions at their expected turn and inserts of new ones; each must land.
        // Attribution is immutable once set: a non-empty stored value wins, in SQL.
        var updateRows: [SessionRow] = [], insertRows: [SessionRow] = []
        for (commit, rows) in zip(commits, encoded) {
            guard let state = commit.session, let row = rows.session else { continue }
            let session = SessionRow(commit: commit, id: state.id, row, expected: commit.expectedTurn)
            if commit.expectedTurn == nil { insertRows.append(session) } else { updateRows.append(session) }
        }
        updates = try recordset(updateRows)
        updateCount = Int64(updateRows.count)
        inserts = try recordset(insertRows)
        insertCount = Int64(insertRows.count)
        subscribers = try recordset(commits.compactMap { commit in commit.subscriber.map { SubscriberRow(lane: commit.lane, $0) } })
        cancels = try recordset(commits.flatMap { commit in commit.effectiveCancel.map { TimerKey(tenant: commit.tenant, id: $0) } })
        timers = try recordset(zip(commits, encoded).flatMap { commit, rows in rows.timers.map { TimerRow(tenant: commit.tenant, $0) } })
        let outboxRows = zip(commits, encoded).flatMap { commit, rows in rows.outbox.map { (commit.now, $0) } }
        outbox = try recordset(outboxRows.enumerated().map { OutboxRow(ord: $0.offset, now: $0.element.0, $0.element.1) })
        messages = try recordset(commits.flatMap { commit in commit.messages.map { MessageRow(tenant: commit.tenant, $0) } })
        events = try recordset(commits.flatMap { commit in commit.events.map { EventRow(tenant: commit.tenant, $0) } }
            .enumerated().map { Ordered(ord: $0.offset, row: $0.element) })
        audits = try recordset(commits.flatMap { commit in commit.audit.map { AuditRow(tenant: commit.tenant, $0) } }
            .enumerated().map { Ordered(ord: $0.offset, row: $0.element) })
        replied = try recordset(commits.flatMap { commit in commit.replied.map { RepliedRow(tenant: commit.tenant, id: $0, now: commit.now) } })
    }

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 18)
        bindings.append(kept)
        bindings.append(keptCount)
        bindings.append(released)
        bindings.append(releasedCount)
        bindings.append(seqs)
        bindings.append(seqCount)
        bindings.append(updates)
        bindings.append(updateCount)
        bindings.append(inserts)
        bindings.append(insertCount)
        bindings.append(subscribers)
        bindings.append(cancels)
        bindings.append(timers)
        bindings.append(outbox)
        bindings.append(messages)
        bindings.append(events)
        bindings.append(audits)
        bindings.append(replied)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

// MARK: Record-set rows (JSON keys are the column names)

private struct LaneRow: Encodable {
    var tenant: String
    var lane: String
    var owner: String
    var now: Int64

    init(_ commit: TurnCommit) {
        tenant = commit.tenant
        lane = commit.lane
        owner = commit.owner
        now = commit.now
    }
}

private struct SessionRow: Encodable {
    var tenant: String
    var id: String
    var lane: String
    var subscriber_id: String
    var flow_version: String
    var status: String
    var turn: Int
    var wait_token: Int64
    var last_inbound_at: Int64?
    var opted_out: Bool
    var snoozed_until: Int64?
    var human_active: Bool
    var attribution: String
    var referral_raw: String?
    var state: String
    var now: Int64
    var expected: Int?

    init(commit: TurnCommit, id: String, _ row: TurnRows.Session, expected: Int?) {
        tenant = commit.tenant
        self.id = id
        lane = commit.lane
        subscriber_id = row.subscriberID
        flow_version = row.flowVersion
        status = row.status
        turn = row.turn
        wait_token = row.waitToken
        last_inbound_at = row.lastInboundAt
        opted_out = row.optedOut
        snoozed_until = row.snoozedUntil
        human_active = row.humanActive
        attribution = row.attribution
        referral_raw = row.referralRaw
        state = row.state
        now = commit.now
        self.expected = expected
    }
}

private struct SubscriberRow: Encodable {
    var tenant: String
    var lane: String
    var subscriber_id: String
    var phone_hash: String?
    var bsuid: String?
    /// Base64 (JSONEncoder's default for Data); decoded to BYTEA in SQL.
    var phone_encrypted: Data?
    var created_at: Int64

    init(lane: String, _ record: SubscriberRecord) {
        tenant = record.tenant
        self.lane = lane
        subscriber_id = record.subscriberID
        phone_hash = record.phoneHash
        bsuid = record.bsuid
        phone_encrypted = record.phoneEncrypted
        created_at = record.createdAt
    }
}

private struct RepliedRow: Encodable {
    var tenant: String
    var id: String
    var now: Int64
}

private struct TimerKey: Encodable {
    var tenant: String
    var id: String
}

private struct TimerRow: Encodable {
    var tenant: String
    var id: String
    var lane: String
    var session_id: String
    var due_at: Int64
    var spec: String
    var dedupe_key: String
    var event: String

    init(tenant: String, _ timer: TurnRows.Timer) {
        self.tenant = tenant
        id = timer.id
        lane = timer.lane
        session_id = timer.sessionID
        due_at = timer.dueAt
        spec = timer.spec
        dedupe_key = timer.dedupeKey
        event = timer.event
    }
}

private struct OutboxRow: Encodable {
    var ord: Int
    var tenant: String
    var key: String
    var destination: String
    var session_id: String
    var lane: String
    var effect: String
    var available_at: Int64
    var now: Int64

    init(ord: Int, now: Int64, _ row: TurnRows.Outbox) {
        self.ord = ord
        tenant = row.tenant
        key = row.key
        destination = row.destination
        session_id = row.sessionID
        lane = row.lane
        effect = row.effect
        available_at = row.availableAt
        self.now = now
    }
}

private struct MessageRow: Encodable {
    var tenant: String
    var message_id: String
    var provider_message_id: String?
    var session_id: String
    var lane: String
    var node: String?
    var state: String
    var updated_at: Int64

    init(tenant: String, _ record: MessageLogRecord) {
        self.tenant = tenant
        message_id = record.messageID
        provider_message_id = record.providerMessageID
        session_id = record.sessionID
        lane = record.lane
        node = record.node
        state = record.state
        updated_at = record.updatedAt
    }
}

private struct EventRow: Encodable {
    var tenant: String
    var key: String
    var session_id: String
    var event: String
    var stream: String
    var at: Int64

    init(tenant: String, _ record: EventLogRecord) {
        self.tenant = tenant
        key = record.key
        session_id = record.sessionID
        event = record.event
        stream = record.stream
        at = record.at
    }
}

private struct AuditRow: Encodable {
    var tenant: String
    var session_id: String
    var type: String
    var detail: String
    var at: Int64

    init(tenant: String, _ record: AuditRecord) {
        self.tenant = tenant
        session_id = record.sessionID
        type = record.type
        detail = record.detail
        at = record.at
    }
}

private struct Ordered<Row: Encodable>: Encodable {
    var ord: Int
    var row: Row

    func encode(to encoder: any Encoder) throws {
        try row.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(ord, forKey: .ord)
    }

    private enum Key: CodingKey { case ord }
}
