import ArriwaCore
import SQLiteNIO

extension SQLiteStore {
    public func appendInbox(_ item: InboxItem) async throws -> InboxAppendResult {
        let event = try StoreJSON.encode(item.event, what: "inbox event \(item.dedupeKey)")
        return try await transaction {
            let rows = try await query("""
                INSERT INTO inbox (tenant, lane, dedupe_key, kind, event, received_at, status) VALUES (?, ?, ?, ?, ?, ?, 'pending')
                ON CONFLICT (tenant, dedupe_key) DO NOTHING RETURNING seq
                """, [.text(item.tenant), .text(item.lane), .text(item.dedupeKey), .text(item.kind.rawValue), .text(event), .int64(item.receivedAt)])
            guard let row = rows.first else { return .duplicate }
            return .appended(seq: try row.int("seq"))
        }
    }

    public func claimLanes(owner: String, limit: Int, perLane: Int, now: Int64, leaseMillis: Int64) async throws -> [LaneClaim] {
        guard limit > 0 else { return [] }
        return try await transaction {
            // Lanes with pending entries that nobody holds (no lease, or an expired one), oldest entry first.
            let lanes = try await query("""
                SELECT i.tenant, i.lane, MIN(i.seq) AS first FROM inbox i
                WHERE i.status = 'pending'
                  AND NOT EXISTS (SELECT 1 FROM lanes l WHERE l.tenant = i.tenant AND l.lane = i.lane AND l.lease_until > ?)
                GROUP BY i.tenant, i.lane ORDER BY first LIMIT ?
                """, [.int64(now), .integer(limit)])
            var claims: [LaneClaim] = []
            for lane in lanes {
                let tenant = try lane.string("tenant"), name = try lane.string("lane")
                try await execute("""
                    INSERT INTO lanes (tenant, lane, owner, lease_until) VALUES (?, ?, ?, ?)
                    ON CONFLICT (tenant, lane) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
                    """, [.text(tenant), .text(name), .text(owner), .int64(now + leaseMillis)])
                let entries = try await query("""
                    SELECT seq, tenant, lane, dedupe_key, kind, event, received_at FROM inbox
                    WHERE tenant = ? AND lane = ? AND status = 'pending' ORDER BY seq LIMIT ?
                    """, [.text(tenant), .text(name), .integer(max(0, perLane))]).map(Self.inboxEntry)
                claims.append(LaneClaim(tenant: tenant, lane: name, leaseUntil: now + leaseMillis, entries: entries))
            }
            return claims
        }
    }

    public func releaseLane(tenant: String, lane: String, owner: String) async throws {
        try await transaction {
            try await execute("DELETE FROM lanes WHERE tenant = ? AND lane = ? AND owner = ?", [.text(tenant), .text(lane), .text(owner)])
        }
    }

    public func failInbox(seq: Int64, owner: String, error: String, now: Int64) async throws {
        try await transaction {
            guard let entry = try await query("SELECT tenant, lane FROM inbox WHERE seq = ? AND status = 'pending'", [.int64(seq)]).first else { return }
            let tenant = try entry.string("tenant"), lane = try entry.string("lane")
            let lease = try await query("SELECT 1 AS held FROM lanes WHERE tenant = ? AND lane = ? AND owner = ? AND lease_until > ?",
                                        [.text(tenant), .text(lane), .text(owner), .int64(now)])
            guard !lease.isEmpty else { throw StoreError(.leaseLost, "lane \(lane) of tenant \(tenant) is not leased to \(owner)") }
            try await execute("UPDATE inbox SET status = 'failed', error = ? WHERE seq = ?", [.text(error), .int64(seq)])
        }
    }

    public func pendingInboxCount() async throws -> Int {
        try await read {
            Int(try await query("SELECT COUNT(*) AS n FROM inbox WHERE status = 'pending'").first?.int("n") ?? 0)
        }
    }

    static func inboxEntry(_ row: SQLiteRow) throws -> InboxEntry {
        let seq = try row.int("seq"), tenant = try row.string("tenant"), key = try row.string("dedupe_key")
        guard let kind = InboxKind(rawValue: try row.string("kind")) else {
            throw StoreError(.corrupt, "inbox row \(seq) (\(tenant)/\(key)): unknown kind")
        }
        let event = try StoreJSON.decode(EngineEvent.self, from: try row.string("event"), table: "inbox", key: "\(seq) (\(tenant)/\(key))")
        return InboxEntry(seq: seq, item: InboxItem(tenant: tenant, lane: try row.string("lane"), dedupeKey: key, kind: kind, event: event,
                                                    receivedAt: try row.int("received_at")))
    }
}
