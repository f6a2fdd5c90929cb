public import ArriwaCore
import Foundation
import PostgresNIO

extension PostgresStore {
    static let sessionColumns = "tenant, id, attribution::text AS attribution, referral_raw, state::text AS state"

    public func session(tenant: String, id: String) async throws -> SessionState? {
        try await rows("SELECT \(unescaped: Self.sessionColumns) FROM sessions WHERE tenant = \(tenant) AND id = \(id)").first.map(Self.session)
    }

    public func latestSession(tenant: String, subscriberID: String) async throws -> SessionState? {
        try await rows("""
            SELECT \(unescaped: Self.sessionColumns) FROM sessions WHERE tenant = \(tenant) AND subscriber_id = \(subscriberID)
            ORDER BY created_at DESC, id DESC LIMIT 1
            """).first.map(Self.session)
    }

    public func subscriber(tenant: String, lane: String) async throws -> SubscriberRecord? {
        try await rows("""
            SELECT tenant, lane, subscriber_id, phone_hash, bsuid, phone_encrypted, created_at FROM subscribers WHERE tenant = \(tenant) AND lane = \(lane)
            """).first.map(Self.subscriber)
    }

    /// One round trip: the subscriber with its latest session joined laterally.
    public func laneState(tenant: String, lane: String) async throws -> LaneState {
        guard let first = try await rows("""
            SELECT s.tenant, s.lane, s.subscriber_id, s.phone_hash, s.bsuid, s.phone_encrypted, s.created_at,
                   x.id, x.attribution::text AS attribution, x.referral_raw, x.state::text AS state
            FROM subscribers s
            LEFT JOIN LATERAL (
                SELECT id, attribution, referral_raw, state FROM sessions
                WHERE tenant = s.tenant AND subscriber_id = s.subscriber_id ORDER BY created_at DESC, id DESC LIMIT 1
            ) x ON true
            WHERE s.tenant = \(tenant) AND s.lane = \(lane)
            """).first else { return LaneState(subscriber: nil, session: nil) }
        let subscriber = try Self.subscriber(first)
        let hasSession = try StoredRow(first, table: "sessions").optional("id", String.self) != nil
        return LaneState(subscriber: subscriber, session: hasSession ? try Self.session(first) : nil)
    }

    static func subscriber(_ postgresRow: PostgresRow) throws -> SubscriberRecord {
        let row = StoredRow(postgresRow, table: "subscribers")
        return SubscriberRecord(tenant: try row.get("tenant"), lane: try row.get("lane"), subscriberID: try row.get("subscriber_id"),
                                phoneHash: try row.optional("phone_hash"), bsuid: try row.optional("bsuid"),
                                phoneEncrypted: try row.optional("phone_encrypted", Data.self), createdAt: try row.get("created_at"))
    }

    /// The whole turn is one statement (one round trip, atomic on its own): data-modifying CTEs
    /// write every table, and the final SELECT checks the lease, the consumed entries and the
    /// session's turn, calling `arriwa_abort` — which rolls the statement back — when one fails.
    public func commitTurn(_ commit: TurnCommit) async throws -> TurnCommitResult {
        var statement = try TurnStatement(commit)
        let rows = try await rows(statement.build())
        guard let first = rows.first else { throw StoreError(.unavailable, "PostgreSQL \(endpoint): the commit returned no row") }
        let inserted = try StoredRow(first, table: "outbox").get("inserted", [String].self)
        let pairs = Set(inserted.compactMap { text -> OutboxPair? in
            let parts = text.split(separator: "\u{1F}", maxSplits: 1, omittingEmptySubsequences: false)
            return parts.count == 2 ? OutboxPair(destination: String(parts[0]), key: String(parts[1])) : nil
        })
        await sessionCache.committed([commit])
        return TurnCommitResult(duplicateOutboxKeys: commit.duplicateOutboxKeys(inserted: pairs))
    }

    /// The stored state with the stored (immutable) attribution laid over it.
    static func session(_ postgresRow: PostgresRow) throws -> SessionState {
        let row = StoredRow(postgresRow, table: "sessions")
        let key = "\(try row.get("tenant", String.self))/\(try row.get("id", String.self))"
        var state = try StoreJSON.decode(SessionState.self, from: try row.get("state"), table: "sessions", key: key)
        state.attribution = try StoreJSON.decode([String: String].self, from: try row.get("attribution"), table: "sessions", key: key)
        state.referralRaw = try row.optional("referral_raw")
        return state
    }
}

/// Assembles the one-statement commit of a turn; CTEs for empty parts are left out.
struct TurnStatement {
    private let commit: TurnCommit
    private let rows: TurnRows
    private var builder = StatementBuilder()

    init(_ commit: TurnCommit) throws {
        self.commit = commit
        rows = try TurnRows(commit)
    }

    private static func json<Row: Encodable>(_ rows: [Row]) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        do {
            return String(decoding: try encoder.encode(rows), as: UTF8.self)
        } catch {
            throw StoreError(.corrupt, "cannot encode commit rows: \(error)")
        }
    }

    mutating func build() throws -> PostgresQuery {
        let tenant = builder.bind(commit.tenant), lane = builder.bind(commit.lane), owner = builder.bind(commit.owner)
        let now = builder.bind(commit.now)
        var ctes: [String] = []
        var checks: [String] = []

        // The lease: locked for the statement, or deleted when the commit gives the lane back.
        let leaseCondition = "tenant = \(tenant) AND lane = \(lane) AND owner = \(owner) AND lease_until > \(now)"
        ctes.append(commit.releaseLane
            ? "lease AS (DELETE FROM lanes WHERE \(leaseCondition) RETURNING 1)"
            : "lease AS (SELECT 1 FROM lanes WHERE \(leaseCondition) FOR UPDATE)")
        checks.append("WHEN NOT EXISTS (SELECT 1 FROM lease) THEN arriwa_abort('lease_lost')")

        if !commit.consumed.isEmpty {
            let seqs = builder.bind(commit.consumed)
            ctes.append("consumed AS (UPDATE inbox SET status = 'done' WHERE seq = ANY(\(seqs)::bigint[]) AND status = 'pending' RETURNING seq)")
            checks.append("WHEN (SELECT COUNT(*) FROM consumed) <> \(builder.bind(Int64(Set(commit.consumed).count))) THEN arriwa_abort('already_applied')")
        }
        if let state = commit.session, let session = rows.session {
            ctes.append(sessionCTE(state, session, tenant: tenant, lane: lane, now: now))
            checks.append("WHEN NOT EXISTS (SELECT 1 FROM sess) THEN arriwa_abort('turn_conflict')")
        }
        if let subscriber = commit.subscriber {
            ctes.append("""
                sub AS (INSERT INTO subscribers (tenant, lane, subscriber_id, phone_hash, bsuid, phone_encrypted, created_at)
                    VALUES (\(tenant), \(lane), \(builder.bind(subscriber.subscriberID)), \(builder.bind(subscriber.phoneHash)), \
                \(builder.bind(subscriber.bsuid)), \(builder.bind(subscriber.phoneEncrypted.map { ByteBuffer(bytes: $0) })), \(builder.bind(subscriber.createdAt)))
                    ON CONFLICT (tenant, lane) DO NOTHING)
                """)
        }
        let cancel = commit.effectiveCancel
        if !cancel.isEmpty {
            ctes.append("cancelled AS (DELETE FROM timers WHERE tenant = \(tenant) AND id = ANY(\(builder.bind(cancel))::text[]))")
        }
        if !rows.timers.isEmpty {
            let json = builder.bind(try Self.json(rows.timers))
            ctes.append("""
                scheduled AS (INSERT INTO timers (tenant, id, lane, session_id, due_at, spec, dedupe_key, event)
                    SELECT \(tenant), r.id, r.lane, r.session_id, r.due_at, r.spec::jsonb, r.dedupe_key, r.event::jsonb
                    FROM json_to_recordset(\(json)::json) AS r(id text, lane text, session_id text, due_at bigint, spec text, dedupe_key text, event text)
                    ON CONFLICT (tenant, id) DO UPDATE SET lane = EXCLUDED.lane, session_id = EXCLUDED.session_id, due_at = EXCLUDED.due_at,
                        spec = EXCLUDED.spec, dedupe_key = EXCLUDED.dedupe_key, event = EXCLUDED.event)
                """)
        }
        var inserted = "'{}'::text[]"
        if !rows.outbox.isEmpty {
            let json = builder.bind(try Self.json(rows.outbox.enumerated().map { OrderedRow(ord: $0.offset, row: $0.element) }))
            ctes.append("""
                ob AS (INSERT INTO outbox (tenant, key, destination, session_id, lane, effect, available_at, status, attempts, next_attempt_at, created_at)
                    SELECT r.tenant, r.key, r.destination, r.session_id, r.lane, r.effect::jsonb, r.available_at, 'pending', 0, r.available_at, \(now)
                    FROM json_to_recordset(\(json)::json) AS r(ord int, tenant text, key text, destination text, session_id text, lane text,
                                                                  effect text, available_at bigint)
                    ORDER BY r.ord
                    ON CONFLICT (tenant, destination, key) DO NOTHING RETURNING destination, key)
                """)
            inserted = "(SELECT COALESCE(array_agg(destination || chr(31) || key), '{}'::text[]) FROM ob)"
        }
        if !commit.messages.isEmpty {
            let json = builder.bind(try Self.json(commit.messages.map(MessageRow.init)))
            ctes.append("""
                messages AS (INSERT INTO message_log (tenant, message_id, provider_message_id, session_id, lane, node, state, updated_at)
                    SELECT \(tenant), r.message_id, r.provider_message_id, r.session_id, r.lane, r.node, r.state, r.updated_at
                    FROM json_to_recordset(\(json)::json) AS r(message_id text, provider_message_id text, session_id text, lane text, node text,
                                                                  state text, updated_at bigint)
                    ON CONFLICT (tenant, message_id) DO NOTHING)
                """)
        }
        if !commit.events.isEmpty {
            let json = builder.bind(try Self.json(commit.events.enumerated().map { OrderedRow(ord: $0.offset, row: EventRow($0.element)) }))
            ctes.append("""
                events AS (INSERT INTO event_log (tenant, key, session_id, event, stream, at)
                    SELECT \(tenant), r.key, r.session_id, r.event, r.stream, r.at
                    FROM json_to_recordset(\(json)::json) AS r(ord int, key text, session_id text, event text, stream text, at bigint)
                    ORDER BY r.ord
                    ON CONFLICT (tenant, key) DO NOTHING)
                """)
        }
        if !commit.audit.isEmpty {
            let json = builder.bind(try Self.json(commit.audit.enumerated().map { OrderedRow(ord: $0.offset, row: AuditRow($0.element)) }))
            ctes.append("""
                audit AS (INSERT INTO audit_log (tenant, session_id, type, detail, at)
                    SELECT \(tenant), r.session_id, r.type, r.detail, r.at
                    FROM json_to_recordset(\(json)::json) AS r(ord int, session_id text, type text, detail text, at bigint)
                    ORDER BY r.ord)
                """)
        }
        if !commit.replied.isEmpty {
            ctes.append("""
                replied AS (UPDATE message_log SET state = 'replied', updated_at = \(now)
                    WHERE tenant = \(tenant) AND message_id = ANY(\(builder.bind(commit.replied))::text[])
                        AND \(DeliveryState.sql(next: "'replied'", current: "message_log.state")))
                """)
        }
        builder.append("WITH " + ctes.joined(separator: ",\n"))
        builder.append("\nSELECT CASE \(checks.joined(separator: " ")) ELSE 0 END AS ok, \(inserted) AS inserted")
        return builder.query
    }

    private mutating func sessionCTE(_ state: SessionState, _ row: TurnRows.Session, tenant: String, lane: String, now: String) -> String {
        let id = builder.bind(state.id)
        let subscriber = builder.bind(row.subscriberID), flowVersion = builder.bind(row.flowVersion), status = builder.bind(row.status)
        let turn = builder.bind(Int64(row.turn)), waitToken = builder.bind(row.waitToken), lastInbound = builder.bind(row.lastInboundAt)
        let optedOut = builder.bind(row.optedOut), snoozed = builder.bind(row.snoozedUntil), human = builder.bind(row.humanActive)
        let attribution = builder.bind(row.attribution), referral = builder.bind(row.referralRaw), document = builder.bind(row.state)
        guard let expected = commit.expectedTurn else {
            return """
                sess AS (INSERT INTO sessions (tenant, id, lane, subscriber_id, flow_version, status, turn, wait_token, last_inbound_at, opted_out,
                        snoozed_until, human_active, attribution, referral_raw, state, created_at, updated_at)
                    VALUES (\(tenant), \(id), \(lane), \(subscriber), \(flowVersion), \(status), \(turn), \(waitToken), \(lastInbound), \(optedOut),
                        \(snoozed), \(human), \(attribution)::jsonb, \(referral), \(document)::jsonb, \(now), \(now))
                    ON CONFLICT (tenant, id) DO NOTHING RETURNING 1)
                """
        }
        // Attribution is immutable once set: a non-empty stored value wins, in SQL.
        return """
            sess AS (UPDATE sessions SET lane = \(lane), subscriber_id = \(subscriber), flow_version = \(flowVersion), status = \(status),
                    turn = \(turn), wait_token = \(waitToken), last_inbound_at = \(lastInbound), opted_out = \(optedOut),
                    snoozed_until = \(snoozed), human_active = \(human),
                    attribution = CASE WHEN sessions.attribution = '{}'::jsonb THEN \(attribution)::jsonb ELSE sessions.attribution END,
                    referral_raw = COALESCE(sessions.referral_raw, \(referral)), state = \(document)::jsonb, updated_at = \(now)
                WHERE tenant = \(tenant) AND id = \(id) AND turn = \(builder.bind(Int64(expected))) RETURNING 1)
            """
    }
}

private struct OrderedRow<Row: Encodable>: Encodable {
    var ord: Int
    var row: Row

    func encode(to encoder: any Encoder) throws {
        try row.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(ord, forKey: .ord)
    }

    private enum Key: CodingKey { case ord }
}

private struct MessageRow: Encodable {
    var messageID: String
    var providerMessageID: String?
    var sessionID: String
    var lane: String
    var node: String?
    var state: String
    var updatedAt: Int64

    init(_ record: MessageLogRecord) {
        messageID = record.messageID
        providerMessageID = record.providerMessageID
        sessionID = record.sessionID
        lane = record.lane
        node = record.node
        state = record.state
        updatedAt = record.updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case messageID = "message_id", providerMessageID = "provider_message_id", sessionID = "session_id", lane, node, state
        case updatedAt = "updated_at"
    }
}

private struct EventRow: Encodable {
    var key: String
    var sessionID: String
    var event: String
    var stream: String
    var at: Int64

    init(_ record: EventLogRecord) {
        key = record.key
        sessionID = record.sessionID
        event = record.event
        stream = record.stream
        at = record.at
    }

    enum CodingKeys: String, CodingKey {
        case key, sessionID = "session_id", event, stream, at
    }
}

private struct AuditRow: Encodable {
    var sessionID: String
    var type: String
    var detail: String
    var at: Int64

    init(_ record: AuditRecord) {
        sessionID = record.sessionID
        type = record.type
        detail = record.detail
        at = record.at
    }

    enum CodingKeys: String, CodingKey {
        case sessionID = "session_id", type, detail, at
    }
}
