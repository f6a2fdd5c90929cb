import ArriwaCore
import SQLiteNIO

extension SQLiteStore {
    static let outboxColumns = """
        id, tenant, key, destination, session_id, lane, effect, available_at, status, attempts, next_attempt_at, last_error, created_at, delivered_at, remote_id
        """

    /// Two statements: the due rows (with their previous owner: a row claimed again while a lease
    /// was never completed is in doubt), then one UPDATE leasing them all.
    public func claimOutbox(owner: String, limit: Int, now: Int64, leaseMillis: Int64) async throws -> [OutboxRecord] {
        guard limit > 0 else { return [] }
        return try await transaction {
            let due = try await query("""
                SELECT id, owner FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?
                """, [.int64(now), .integer(limit)])
            guard !due.isEmpty else { return [] }
            var inDoubt: [Int64: Bool] = [:]
            var order: [Int64] = []
            for row in due {
                let id = try row.int("id")
                order.append(id)
                inDoubt[id] = row.optionalString("owner") != nil
            }
            let marks = Array(repeating: "?", count: order.count).joined(separator: ", ")
            let updated = try await query("""
                UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, owner = ? WHERE id IN (\(marks)) RETURNING \(Self.outboxColumns)
                """, [.int64(now + leaseMillis), .text(owner)] + order.map { .int64($0) })
            var records: [Int64: OutboxRecord] = [:]
            for row in updated {
                var record = try Self.outboxRecord(row, effect: effectMemo.value(try row.string("effect")))
                record.inDoubt = inDoubt[record.id] ?? false
                records[record.id] = record
            }
            return order.compactMap { records[$0] }
        }
    }

    /// Concurrent completions (the dispatcher delivers many rows at once) are written together:
    /// one UPDATE from a VALUES list per batch (see BatchWriter). Each row is still guarded by its
    /// lease owner and `status = 'pending'`, exactly as a single update would be. The batch's sent
    /// messages go to the message log in the same transaction (`applyDeliveries`).
    public func completeOutbox(id: Int64, owner: String, outcome: OutboxOutcome, now: Int64, sent: SentMessage?) async throws {
        try await completions.submit(OutboxCompletion(id: id, owner: owner, outcome: outcome, now: now, sent: sent)) { batch in
            try await self.writeCompletions(batch)
            return batch.map { _ in () }
        }
    }

    private func writeCompletions(_ batch: [OutboxCompletion]) async throws {
        try await transaction {
            for chunk in batch.chunked(Self.rowsPerStatement(columns: 7)) {
                let binds = chunk.flatMap { completion -> [SQLiteData] in
                    let head: [SQLiteData] = [.int64(completion.id), .text(completion.owner)]
                    switch completion.outcome {
                    case .delivered(let remoteID):
                        return head + [.text("delivered"), .int64(completion.now), .text(remoteID), .null, .null]
                    case .retry(let at, let error):
                        return head + [.text("retry"), .int64(completion.now), .null, .int64(at), .text(error)]
                    case .dead(let error):
                        return head + [.text("dead"), .int64(completion.now), .null, .null, .text(error)]
                    }
                }
                try await execute("""
                    WITH u(id, owner, kind, now, remote, at, error) AS (VALUES \(Self.placeholders(rows: chunk.count, columns: 7)))
                    UPDATE outbox SET
                        status = CASE u.kind WHEN 'delivered' THEN 'delivered' WHEN 'dead' THEN 'dead' ELSE outbox.status END,
                        delivered_at = CASE WHEN u.kind = 'delivered' THEN u.now ELSE outbox.delivered_at END,
                        remote_id = CASE WHEN u.kind = 'delivered' THEN u.remote ELSE outbox.remote_id END,
                        next_attempt_at = CASE WHEN u.kind = 'retry' THEN u.at ELSE outbox.next_attempt_at END,
                        last_error = CASE WHEN u.kind = 'delivered' THEN outbox.last_error ELSE u.error END,
                        owner = NULL
                    FROM u WHERE outbox.id = u.id AND outbox.owner = u.owner AND outbox.status = 'pending'
                    """, binds)
            }
            let sent = batch.compactMap { $0.sent?.update }
            if !sent.isEmpty { try await applyDeliveries(sent) }
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
            try await query("SELECT \(Self.outboxColumns) FROM outbox \(whereSQL) ORDER BY id LIMIT ?", finalBinds).map { try Self.outboxRecord($0) }
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

    public func outboxBacklog() async throws -> Int {
        try await read {
            Int(try await query("SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'", []).first?.int("n") ?? 0)
        }
    }

    /// An outbox row, with its effect already decoded when `effect` is given.
    static func outboxRecord(_ row: SQLiteRow, effect known: Effect? = nil) throws -> OutboxRecord {
        let id = try row.int("id"), tenant = try row.string("tenant"), key = try row.string("key"), destination = try row.string("destination")
        let effect = try known ?? StoreJSON.decode(Effect.self, from: try row.string("effect"), table: "outbox", key: "\(id) (\(tenant)/\(destination)/\(key))")
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
