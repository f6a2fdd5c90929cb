import ArriwaCore
import PostgresNIO

extension PostgresStore {
    /// One statement: due timers (locked, skipping rows another scheduler holds) are deleted and
    /// their pre-encoded `.timer` events inserted into the inbox of their lane, in due order.
    public func promoteDueTimers(now: Int64, limit: Int) async throws -> Int {
        guard limit > 0 else { return 0 }
        let rows = try await rows("""
            WITH due AS (
                DELETE FROM timers WHERE (tenant, id) IN (
                    SELECT tenant, id FROM timers WHERE due_at <= \(now) ORDER BY due_at, id LIMIT \(Int64(limit)) FOR UPDATE SKIP LOCKED)
                RETURNING tenant, id, lane, due_at, dedupe_key, event
            ), queued AS (
                INSERT INTO inbox (tenant, lane, dedupe_key, kind, event, received_at, status)
                SELECT tenant, lane, dedupe_key, 'timer', event, \(now), 'pending' FROM due ORDER BY due_at, id
                ON CONFLICT (tenant, dedupe_key) DO NOTHING
            )
            SELECT COUNT(*) AS n FROM due
            """)
        return Int(try rows.first.map { try StoredRow($0, table: "timers").get("n", Int64.self) } ?? 0)
    }

    public func nextTimerDue() async throws -> Int64? {
        let rows = try await rows("SELECT MIN(due_at) AS due FROM timers")
        return try rows.first.flatMap { try StoredRow($0, table: "timers").optional("due", Int64.self) }
    }

    public func pendingTimers(tenant: String, sessionID: String) async throws -> [TimerRecord] {
        try await rows("""
            SELECT tenant, id, lane, spec FROM timers WHERE tenant = \(tenant) AND session_id = \(sessionID) ORDER BY due_at, id
            """).map { postgresRow in
            let row = StoredRow(postgresRow, table: "timers")
            let tenant = try row.get("tenant", String.self)
            let spec = try StoreJSON.decode(TimerSpec.self, from: try row.get("spec"), table: "timers", key: "\(tenant)/\(try row.get("id", String.self))")
            return TimerRecord(tenant: tenant, lane: try row.get("lane"), timer: spec)
        }
    }

    public func pendingTimerCount() async throws -> Int {
        let rows = try await rows("SELECT COUNT(*) AS n FROM timers")
        return Int(try rows.first.map { try StoredRow($0, table: "timers").get("n", Int64.self) } ?? 0)
    }
}
