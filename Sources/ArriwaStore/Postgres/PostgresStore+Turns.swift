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

    /// The whole turn is one statement (one round trip, atomic on its own): the batched commit's
    /// statement over this one turn (`BatchTurnStatement`, prepared once per connection) — data-modifying CTEs write every table,
    /// and the final SELECT checks the lease, the consumed entries and the session's turn, calling
    /// `arriwa_abort` (which rolls the statement back, naming the failed check) when one fails.
    public func commitTurn(_ commit: TurnCommit) async throws -> TurnCommitResult {
        let statement = BatchTurnStatement([commit], encoded: [try TurnRows(commit)])
        let rows = try await prepared(statement)
        guard let first = rows.first else { throw StoreError(.unavailable, "PostgreSQL \(endpoint): the commit returned no row") }
        await documents.remember(effects: statement.effects)
        let results = TurnCommit.results([commit], stored: try BatchTurnStatement.stored(first))
        await sessionCache.committed([commit])
        return results.first ?? TurnCommitResult()
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
