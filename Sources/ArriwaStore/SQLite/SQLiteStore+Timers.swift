import ArriwaCore
import SQLiteNIO

extension SQLiteStore {
    public func promoteDueTimers(now: Int64, limit: Int) async throws -> Int {
        guard limit > 0 else { return 0 }
        return try await transaction {
            let due = try await query("""
                SELECT tenant, id, lane, dedupe_key, event FROM timers WHERE due_at <= ? ORDER BY due_at, id LIMIT ?
                """, [.int64(now), .integer(limit)])
            for timer in due {
                let tenant = try timer.string("tenant")
                try await execute("""
                    INSERT INTO inbox (tenant, lane, dedupe_key, kind, event, received_at, status) VALUES (?, ?, ?, 'timer', ?, ?, 'pending')
                    ON CONFLICT (tenant, dedupe_key) DO NOTHING
                    """, [.text(tenant), .text(try timer.string("lane")), .text(try timer.string("dedupe_key")), .text(try timer.string("event")),
                          .int64(now)])
                try await execute("DELETE FROM timers WHERE tenant = ? AND id = ?", [.text(tenant), .text(try timer.string("id"))])
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
