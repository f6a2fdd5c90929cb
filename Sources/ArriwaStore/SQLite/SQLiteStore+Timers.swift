import ArriwaCore
import SQLiteNIO

extension SQLiteStore {
    /// Three statements whatever the count: the due timers' rowids (index range on due_at), their
    /// events into the inbox (in due order), the timers deleted.
    public func promoteDueTimers(now: Int64, limit: Int) async throws -> Int {
        guard limit > 0 else { return 0 }
        return try await transaction {
            let due = try await query("SELECT rowid AS r FROM timers WHERE due_at <= ? ORDER BY due_at, id LIMIT ?",
                                      [.int64(now), .integer(limit)]).map { try $0.int("r") }
            guard !due.isEmpty else { return 0 }
            for chunk in due.chunked(Self.rowsPerStatement(columns: 1)) {
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
                let rowids = chunk.map { SQLiteData.int64($0) }
                try await execute("""
                    INSERT INTO inbox (tenant, lane, dedupe_key, kind, event, received_at, status)
                    SELECT tenant, lane, dedupe_key, 'timer', event, ?, 'pending' FROM timers WHERE rowid IN (\(marks)) ORDER BY due_at, id
                    ON CONFLICT (tenant, dedupe_key) DO NOTHING
                    """, [.int64(now)] + rowids)
                try await execute("DELETE FROM timers WHERE rowid IN (\(marks))", rowids)
            }
            return due.count
        }
    }

    public func nextTimerDue() async throws -> Int64? {
        try await read {
            try await query("SELECT MIN(due_at) AS due FROM timers").first?.optionalInt("due")
        }
    }

    public func pendingTimers(tenant: String, sessionID: String) async throws -> [TimerRecord] {
        try await read {
            try await query("SELECT tenant, id, lane, spec FROM timers WHERE tenant = ? AND session_id = ? ORDER BY due_at, id",
                            [.text(tenant), .text(sessionID)]).map { row in
                let tenant = try row.string("tenant")
                let spec = try StoreJSON.decode(TimerSpec.self, from: try row.string("spec"), table: "timers", key: "\(tenant)/\(try row.string("id"))")
                return TimerRecord(tenant: tenant, lane: try row.string("lane"), timer: spec)
            }
        }
    }

    public func pendingTimerCount() async throws -> Int {
        try await read { Int(try await query("SELECT COUNT(*) AS n FROM timers").first?.int("n") ?? 0) }
    }
}
