import ArriwaCore
import SQLiteNIO

extension SQLiteStore {
    static let outboxColumns = """
        id, tenant, key, destination, session_id, lane, effect, available_at, status, attempts, next_attempt_at, last_error, created_at, delivered_at, remote_id
        """

    public func claimOutbox(owner: String, limit: Int, now: Int64, leaseMillis: Int64) async throws -> [OutboxRecord] {
        guard limit > 0 else { return [] }
        return try await transaction {
            let due = try await query("""
                SELECT id, owner FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?
                """, [.int64(now), .integer(limit)])
            var claimed: [OutboxRecord] = []
            for row in due {
                let updated = try await query("""
                    UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, owner = ? WHERE id = ? RETURNING \(Self.outboxColumns)
                    """, [.int64(now + leaseMillis), .text(owner), .int64(try row.int("id"))])
                let inDoubt = row.optionalString("owner") != nil
                claimed += try updated.map { updatedRow in
                    var record = try Self.outboxRecord(updatedRow)
                    record.inDoubt = inDoubt
                    return record
                }
            }
            return claimed
        }
    }

    public func completeOutbox(id: Int64, owner: String, outcome: OutboxOutcome, now: Int64) async throws {
        try await transaction {
            let guardSQL = "WHERE id = ? AND owner = ? AND status = 'pending'"
            let key: [SQLiteData] = [.int64(id), .text(owner)]
            switch outcome {
            case .delivered(let remoteID):
                try await execute("UPDATE outbox SET status = 'delivered', delivered_at = ?, remote_id = ?, owner = NULL \(guardSQL)",
                                  [.int64(now), .text(remoteID)] + key)
            case .retry(let at, let error):
                try await execute("UPDATE outbox SET next_attempt_at = ?, last_error = ?, owner = NULL \(guardSQL)", [.int64(at), .text(error)] + key)
            case .dead(let error):
                try await execute("UPDATE outbox SET status = 'dead', last_error = ?, owner = NULL \(guardSQL)", [.text(error)] + key)
            }
        }
    }

    public func outbox(_ filter: OutboxFilter) async throws -> [OutboxRecord] {
        var conditions: [String] = []
        var binds: [SQLiteData] = []
        if let tenant = filter.tenant { conditions.append("tenant = ?"); binds.append(.text(tenant)) }
        if let status = filter.status { conditions.append("status = ?"); binds.append(.text(status.rawValue)) }
        if let destination = filter.destination { conditions.append("destination = ?"); binds.append(.text(destination)) }
        let whereSQL = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let finalBinds = binds + [.integer(max(0, filter.limit))]
        return try await read {
            try await query("SELECT \(Self.outboxColumns) FROM outbox \(whereSQL) ORDER BY id LIMIT ?", finalBinds).map(Self.outboxRecord)
        }
    }

    public func retryOutbox(ids: [Int64], now: Int64) async throws -> Int {
        try await transaction {
            var count = 0
            for id in ids {
                let updated = try await query("""
                    UPDATE outbox SET status = 'pending', next_attempt_at = ?, owner = NULL
                    WHERE id = ? AND (status = 'dead' OR (status = 'pending' AND last_error IS NOT NULL)) RETURNING id
                    """, [.int64(now), .int64(id)])
                count += updated.count
            }
            return count
        }
    }

    public func outboxCounts(tenant: String?) async throws -> [OutboxStatus: Int] {
        try await read {
            let rows = try await query("SELECT status, COUNT(*) AS n FROM outbox WHERE (? IS NULL OR tenant = ?) GROUP BY status",
                                       [.text(tenant), .text(tenant)])
            var counts: [OutboxStatus: Int] = [:]
            for row in rows {
                guard let status = OutboxStatus(rawValue: try row.string("status")) else { continue }
                counts[status] = Int(try row.int("n"))
            }
            return counts
        }
    }

    static func outboxRecord(_ row: SQLiteRow) throws -> OutboxRecord {
        let id = try row.int("id"), tenant = try row.string("tenant"), key = try row.string("key"), destination = try row.string("destination")
        let effect = try StoreJSON.decode(Effect.self, from: try row.string("effect"), table: "outbox", key: "\(id) (\(tenant)/\(destination)/\(key))")
        guard let status = OutboxStatus(rawValue: try row.string("status")) else {
            throw StoreError(.corrupt, "outbox row \(id): unknown status")
        }
        let item = OutboxItem(tenant: tenant, key: key, destination: destination, sessionID: try row.string("session_id"),
                              lane: try row.string("lane"), effect: effect, availableAt: try row.int("available_at"))
        return OutboxRecord(id: id, item: item, status: status, attempts: Int(try row.int("attempts")), nextAttemptAt: try row.int("next_attempt_at"),
                            lastError: row.optionalString("last_error"), createdAt: try row.int("created_at"),
                            deliveredAt: row.optionalInt("delivered_at"), remoteID: row.optionalString("remote_id"))
    }
}
