import ArriwaCore
import PostgresNIO

extension PostgresStore {
    static let outboxColumns = """
        o.id, o.tenant, o.key, o.destination, o.session_id, o.lane, o.effect::text AS effect, o.available_at, o.status, o.attempts,
        o.next_attempt_at, o.last_error, o.created_at, o.delivered_at, o.remote_id
        """

    /// Due rows, locked with SKIP LOCKED so concurrent dispatchers take different rows; the lease
    /// is `next_attempt_at` moved to the end of it (a crashed dispatcher's rows come due again).
    public func claimOutbox(owner: String, limit: Int, now: Int64, leaseMillis: Int64) async throws -> [OutboxRecord] {
        guard limit > 0 else { return [] }
        return try await rows("""
            WITH picked AS (
                SELECT id, next_attempt_at AS due FROM outbox WHERE status = 'pending' AND next_attempt_at <= \(now)
                ORDER BY next_attempt_at, id LIMIT \(Int64(limit)) FOR UPDATE SKIP LOCKED
            ), claimed AS (
                UPDATE outbox o SET attempts = o.attempts + 1, next_attempt_at = \(now + leaseMillis), owner = \(owner)
                FROM picked WHERE o.id = picked.id
                RETURNING \(unescaped: Self.outboxColumns), picked.due
            )
            SELECT * FROM claimed ORDER BY due, id
            """).map(Self.outboxRecord)
    }

    public func completeOutbox(id: Int64, owner: String, outcome: OutboxOutcome, now: Int64) async throws {
        switch outcome {
        case .delivered(let remoteID):
            try await rows("""
                UPDATE outbox SET status = 'delivered', delivered_at = \(now), remote_id = \(remoteID), owner = NULL
                WHERE id = \(id) AND owner = \(owner) AND status = 'pending'
                """)
        case .retry(let at, let error):
            try await rows("""
                UPDATE outbox SET next_attempt_at = \(at), last_error = \(error), owner = NULL WHERE id = \(id) AND owner = \(owner) AND status = 'pending'
                """)
        case .dead(let error):
            try await rows("""
                UPDATE outbox SET status = 'dead', last_error = \(error), owner = NULL WHERE id = \(id) AND owner = \(owner) AND status = 'pending'
                """)
        }
    }

    public func outbox(_ filter: OutboxFilter) async throws -> [OutboxRecord] {
        var builder = StatementBuilder()
        var conditions: [String] = []
        if let tenant = filter.tenant { conditions.append("o.tenant = \(builder.bind(tenant))") }
        if let status = filter.status { conditions.append("o.status = \(builder.bind(status.rawValue))") }
        if let destination = filter.destination { conditions.append("o.destination = \(builder.bind(destination))") }
        let whereSQL = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let limit = builder.bind(Int64(max(0, filter.limit)))
        builder.append("SELECT \(Self.outboxColumns) FROM outbox o \(whereSQL) ORDER BY o.id LIMIT \(limit)")
        return try await rows(builder.query).map(Self.outboxRecord)
    }

    public func retryOutbox(ids: [Int64], now: Int64) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        let rows = try await rows("""
            WITH retried AS (
                UPDATE outbox SET status = 'pending', next_attempt_at = \(now), owner = NULL
                WHERE id = ANY(\(ids)::bigint[]) AND (status = 'dead' OR (status = 'pending' AND last_error IS NOT NULL)) RETURNING id
            )
            SELECT COUNT(*) AS n FROM retried
            """)
        return Int(try rows.first.map { try StoredRow($0, table: "outbox").get("n", Int64.self) } ?? 0)
    }

    public func outboxCounts(tenant: String?) async throws -> [OutboxStatus: Int] {
        let rows = try await rows("SELECT status, COUNT(*) AS n FROM outbox WHERE \(tenant)::text IS NULL OR tenant = \(tenant) GROUP BY status")
        var counts: [OutboxStatus: Int] = [:]
        for postgresRow in rows {
            let row = StoredRow(postgresRow, table: "outbox")
            guard let status = OutboxStatus(rawValue: try row.get("status")) else { continue }
            counts[status] = Int(try row.get("n", Int64.self))
        }
        return counts
    }

    static func outboxRecord(_ postgresRow: PostgresRow) throws -> OutboxRecord {
        let row = StoredRow(postgresRow, table: "outbox")
        let id = try row.get("id", Int64.self), tenant = try row.get("tenant", String.self)
        let key = try row.get("key", String.self), destination = try row.get("destination", String.self)
        let effect = try StoreJSON.decode(Effect.self, from: try row.get("effect"), table: "outbox", key: "\(id) (\(tenant)/\(destination)/\(key))")
        guard let status = OutboxStatus(rawValue: try row.get("status")) else { throw StoreError(.corrupt, "outbox row \(id): unknown status") }
        let item = OutboxItem(tenant: tenant, key: key, destination: destination, sessionID: try row.get("session_id"), lane: try row.get("lane"),
                              effect: effect, availableAt: try row.get("available_at"))
        return OutboxRecord(id: id, item: item, status: status, attempts: Int(try row.get("attempts", Int32.self)),
                            nextAttemptAt: try row.get("next_attempt_at"), lastError: try row.optional("last_error"),
                            createdAt: try row.get("created_at"), deliveredAt: try row.optional("delivered_at"), remoteID: try row.optional("remote_id"))
    }
}
