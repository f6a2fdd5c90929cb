import ArriwaCore
import SQLiteNIO

extension SQLiteStore {
    /// Concurrent appends are written together: one multi-row INSERT in one transaction per batch
    /// (see BatchWriter); each caller is answered once its batch is committed. Nonisolated: the
    /// event is encoded in the caller's task, concurrently, not on the store's one executor.
    public nonisolated func appendInbox(_ item: InboxItem) async throws -> InboxAppendResult {
        // Encoded here, so a bad event fails this caller alone.
        let encoded = EncodedInboxItem(item: item, event: try StoreJSON.encode(item.event, what: "inbox event \(item.dedupeKey)"))
        return try await appends.submit(encoded) { batch in try await self.writeAppends(batch) }
    }

    /// One statement, run alone on the connection (`exclusive`) in SQLite's autocommit mode: the
    /// INSERT is its own atomic, durable transaction, and takes the write lock before it reads
    /// anything, so it needs no BEGIN IMMEDIATE / COMMIT — one round trip to SQLite's thread per
    /// batch instead of three.
    private func writeAppends(_ batch: [EncodedInboxItem]) async throws -> [InboxAppendResult] {
        for encoded in batch { eventMemo.remember(encoded.event, encoded.item.event) }
        return try await exclusive {
            // Rows are inserted in batch order, so seq follows arrival; a key repeated within the
            // batch is stored once, for its first occurrence.
            let values = Array(repeating: "(?, ?, ?, ?, ?, ?, 'pending')", count: batch.count).joined(separator: ", ")
            let binds = batch.flatMap { encoded -> [SQLiteData] in
                let item = encoded.item
                return [.text(item.tenant), .text(item.lane), .text(item.dedupeKey), .text(item.kind.rawValue), .text(encoded.event),
                        .int64(item.receivedAt)]
            }
            let rows = try await query("""
                INSERT INTO inbox (tenant, lane, dedupe_key, kind, event, received_at, status) VALUES \(values)
                ON CONFLICT (tenant, dedupe_key) DO NOTHING RETURNING seq, tenant, dedupe_key
                """, binds)
            var stored: [String: Int64] = [:]
            for row in rows { stored["\(try row.string("tenant"))\u{0}\(try row.string("dedupe_key"))"] = try row.int("seq") }
            return batch.map { encoded in
                guard let seq = stored.removeValue(forKey: "\(encoded.item.tenant)\u{0}\(encoded.item.dedupeKey)") else { return .duplicate }
                return .appended(seq: seq)
            }
        }
    }

    /// Two statements: lease the free lanes with the oldest pending entries (one upsert that
    /// returns what it took), then read the pending entries of every lane this owner holds, at
    /// most `perLane` each (a window function), in arrival order.
    ///
    /// A poll that would claim nothing never takes the writing connection: the reading one is
    /// asked first whether any pending entry's lane is free (a worker woken with every new entry
    /// already leased by another used to spend a write transaction of two statements finding that
    /// out — 7 % of the writer's time at funnel-5 C = 64). The answer may be stale by the time the
    /// claim runs; the claim decides, and an entry appended after the check wakes the workers.
    public func claimLanes(owner: String, limit: Int, perLane: Int, now: Int64, leaseMillis: Int64) async throws -> [LaneClaim] {
        guard limit > 0 else { return [] }
        if reader != nil {
            let free = try await read {
                try await query("""
                    SELECT 1 AS free FROM inbox i WHERE i.status = 'pending'
                        AND NOT EXISTS (SELECT 1 FROM lanes l WHERE l.tenant = i.tenant AND l.lane = i.lane AND l.lease_until > ?)
                    LIMIT 1
                    """, [.int64(now)])
            }
            guard !free.isEmpty else { return [] }
        }
        let until = now + leaseMillis
        return try await transaction {
            // Lanes with pending entries that nobody holds (no lease, or an expired one), oldest entry
            // first — among the oldest `claimWindow` pending entries (an index range), and only if
            // none of those lanes is free, among all of them.
            var claimed: [SQLiteRow] = []
            for window in [Self.claimWindow, nil] where claimed.isEmpty {
                claimed = try await query("""
                    INSERT INTO lanes (tenant, lane, owner, lease_until)
                    SELECT tenant, lane, ?, ? FROM (
                        SELECT p.tenant, p.lane, MIN(p.seq) AS first
                        FROM (SELECT tenant, lane, seq FROM inbox WHERE status = 'pending' ORDER BY seq LIMIT ?) p
                        WHERE NOT EXISTS (SELECT 1 FROM lanes l WHERE l.tenant = p.tenant AND l.lane = p.lane AND l.lease_until > ?)
                        GROUP BY p.tenant, p.lane ORDER BY first LIMIT ?) WHERE true
                    ON CONFLICT (tenant, lane) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
                    RETURNING tenant, lane
                    """, [.text(owner), .int64(until), .integer(window ?? -1), .int64(now), .integer(limit)])
            }
            guard !claimed.isEmpty else { return [] }
            // The claimed lanes' entries through the (tenant, lane, seq) index of pending entries:
            // driven from the lanes just claimed, not from every pending entry.
            var keys: [SQLiteData] = []
            for row in claimed { keys += [.text(try row.string("tenant")), .text(try row.string("lane"))] }
            let entries = try await query("""
                WITH k(tenant, lane) AS (VALUES \(Self.placeholders(rows: claimed.count, columns: 2)))
                SELECT seq, tenant, lane, dedupe_key, kind, event, received_at FROM (
                    SELECT i.seq, i.tenant, i.lane, i.dedupe_key, i.kind, i.event, i.received_at,
                           ROW_NUMBER() OVER (PARTITION BY i.tenant, i.lane ORDER BY i.seq) AS n
                    FROM k JOIN inbox i ON i.tenant = k.tenant AND i.lane = k.lane AND i.status = 'pending')
                WHERE n <= ? ORDER BY seq
                """, keys + [.integer(max(0, perLane))]).map { row in try Self.inboxEntry(row, event: eventMemo.value(try row.string("event"))) }
            var order: [LaneRef] = []
            var byLane: [LaneRef: [InboxEntry]] = [:]
            for entry in entries {
                let key = LaneRef(tenant: entry.item.tenant, lane: entry.item.lane)
                if byLane[key] == nil { order.append(key) }
                byLane[key, default: []].append(entry)
            }
            return order.map { LaneClaim(tenant: $0.tenant, lane: $0.lane, leaseUntil: until, entries: byLane[$0] ?? []) }
        }
    }

    /// How many of the oldest pending entries a claim looks at first (see PostgresStore).
    static let claimWindow = 1000

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

    /// An inbox row, with its event already decoded when `event` is given.
    static func inboxEntry(_ row: SQLiteRow, event known: EngineEvent? = nil) throws -> InboxEntry {
        let seq = try row.int("seq"), tenant = try row.string("tenant"), key = try row.string("dedupe_key")
        guard let kind = InboxKind(rawValue: try row.string("kind")) else {
            throw StoreError(.corrupt, "inbox row \(seq) (\(tenant)/\(key)): unknown kind")
        }
        let event = try known ?? StoreJSON.decode(EngineEvent.self, from: try row.string("event"), table: "inbox", key: "\(seq) (\(tenant)/\(key))")
        return InboxEntry(seq: seq, item: InboxItem(tenant: tenant, lane: try row.string("lane"), dedupeKey: key, kind: kind, event: event,
                                                    receivedAt: try row.int("received_at")))
    }
}
