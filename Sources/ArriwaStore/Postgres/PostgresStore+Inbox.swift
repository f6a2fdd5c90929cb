import ArriwaCore
import PostgresNIO

extension PostgresStore {
    /// Concurrent appends (webhooks in flight) are written together: one INSERT from arrays per
    /// batch, one commit (see BatchWriter); each caller is answered once its batch is durable.
    public func appendInbox(_ item: InboxItem) async throws -> InboxAppendResult {
        // Encoded here, so a bad event fails this caller alone.
        let encoded = EncodedInboxItem(item: item, event: try StoreJSON.encode(item.event, what: "inbox event \(item.dedupeKey)"))
        return try await appends.submit(encoded) { batch in try await self.writeAppends(batch) }
    }

    private func writeAppends(_ encoded: [EncodedInboxItem]) async throws -> [InboxAppendResult] {
        let batch = encoded.map(\.item), events = encoded.map(\.event)
        await documents.remember(events: encoded.map { ($0.event, $0.item.event) })
        // Rows go in in batch order (ORDER BY ordinality), so seq follows arrival; a key repeated
        // within the batch is stored once, for its first occurrence.
        let rows = try await hot(AppendTag.self, Self.appendQuery(batch, events: events))
        var stored: [String: Int64] = [:]
        for row in rows {
            let row = StoredRow(row, table: "inbox")
            stored["\(try row.get("tenant", String.self))\u{0}\(try row.get("dedupe_key", String.self))"] = try row.get("seq", Int64.self)
        }
        return batch.map { item in
            // The first occurrence takes the seq; later ones in the batch are duplicates.
            guard let seq = stored.removeValue(forKey: "\(item.tenant)\u{0}\(item.dedupeKey)") else { return .duplicate }
            return .appended(seq: seq)
        }
    }

    static func appendQuery(_ batch: [InboxItem], events: [String]) -> PostgresQuery {
        """
        INSERT INTO inbox (tenant, lane, dedupe_key, kind, event, received_at, status)
        SELECT tenant, lane, dedupe_key, kind, event, received_at, 'pending'
        FROM unnest(\(batch.map(\.tenant))::text[], \(batch.map(\.lane))::text[], \(batch.map(\.dedupeKey))::text[],
                    \(batch.map(\.kind.rawValue))::text[], \(events)::text[], \(batch.map(\.receivedAt))::bigint[])
            WITH ORDINALITY AS b(tenant, lane, dedupe_key, kind, event, received_at, n)
        ORDER BY n
        ON CONFLICT (tenant, dedupe_key) DO NOTHING RETURNING seq, tenant, dedupe_key
        """
    }

    enum AppendTag: HotStatementTag {
        static let name = "arriwa_inbox_append_v1"
        static let sql = PostgresStore.appendQuery([], events: []).sql
        static let types: [PostgresDataType] = [.textArray, .textArray, .textArray, .textArray, .textArray, .int8Array]
    }

    /// One transaction: lease the free lanes with the oldest pending entries (an upsert that only
    /// takes a lane whose lease ended — concurrent claimers serialise on the lane row and the loser
    /// gets nothing back), then read the claimed lanes' entries in a fresh snapshot, so a turn
    /// committed just before the claim is never handed out again.
    public func claimLanes(owner: String, limit: Int, perLane: Int, now: Int64, leaseMillis: Int64) async throws -> [LaneClaim] {
        guard limit > 0 else { return [] }
        let until = now + leaseMillis
        let limit = Int64(limit), perLane = Int64(max(0, perLane))
        // No transaction around the two statements: the claim (one INSERT … RETURNING) is atomic on
        // its own and the read needs no lock (the lease keeps other workers off the lane). A crash
        // between them leaves a lease that expires. Two round trips and one commit per claim.
        // First among the oldest pending entries only (an index range, however long the inbox);
        // if none of those lanes is free, over every pending entry.
        var claimed = try await hot(ClaimWindowTag.self,
                                    Self.claimStatement(owner: owner, limit: limit, now: now, until: until, window: Self.claimWindow))
        if claimed.isEmpty {
            claimed = try await hot(ClaimAllTag.self, Self.claimStatement(owner: owner, limit: limit, now: now, until: until, window: nil))
        }
        guard !claimed.isEmpty else { return [] }
        var tenants: [String] = [], lanes: [String] = []
        for row in claimed {
            let row = StoredRow(row, table: "lanes")
            tenants.append(try row.get("tenant"))
            lanes.append(try row.get("lane"))
        }
        let entries = try await hot(EntriesTag.self, Self.entriesQuery(tenants: tenants, lanes: lanes, perLane: perLane))
        var order: [LaneRef] = []
        var byLane: [LaneRef: [InboxEntry]] = [:]
        let known = await documents.events(try entries.map { try StoredRow($0, table: "inbox").get("event", String.self) })
        for (row, event) in zip(entries, known) {
            let entry = try Self.inboxEntry(row, event: event)
            let key = LaneRef(tenant: entry.item.tenant, lane: entry.item.lane)
            if byLane[key] == nil { order.append(key) }
            byLane[key, default: []].append(entry)
        }
        // A lane whose entries were all consumed meanwhile (or perLane 0) is given back.
        let empty = zip(tenants, lanes).map { LaneRef(tenant: $0, lane: $1) }.filter { byLane[$0] == nil }
        if !empty.isEmpty {
            try await rows("""
                DELETE FROM lanes l USING unnest(\(empty.map(\.tenant))::text[], \(empty.map(\.lane))::text[]) AS e(tenant, lane)
                WHERE l.tenant = e.tenant AND l.lane = e.lane AND l.owner = \(owner)
                """)
        }
        return order.map { LaneClaim(tenant: $0.tenant, lane: $0.lane, leaseUntil: until, entries: byLane[$0] ?? []) }
    }

    /// The first `perLane` pending entries of each lane, in arrival order.
    static func entriesQuery(tenants: [String], lanes: [String], perLane: Int64) -> PostgresQuery {
        """
        SELECT e.seq, e.tenant, e.lane, e.dedupe_key, e.kind, e.event, e.received_at
        FROM unnest(\(tenants)::text[], \(lanes)::text[]) AS c(tenant, lane)
        CROSS JOIN LATERAL (
            SELECT * FROM inbox i WHERE i.tenant = c.tenant AND i.lane = c.lane AND i.status = 'pending' ORDER BY i.seq LIMIT \(perLane)
        ) e
        ORDER BY e.seq
        """
    }

    enum EntriesTag: HotStatementTag {
        static let name = "arriwa_inbox_entries_v1"
        static let sql = PostgresStore.entriesQuery(tenants: [], lanes: [], perLane: 0).sql
        static let types: [PostgresDataType] = [.textArray, .textArray, .int8]
    }

    /// The claim among the oldest `claimWindow` pending entries (parameters: window, now, limit,
    /// owner, lease end) and over all of them (the same without the window).
    enum ClaimWindowTag: HotStatementTag {
        static let name = "arriwa_claim_lanes_window_v1"
        static let sql = PostgresStore.claimStatement(owner: "", limit: 0, now: 0, until: 0, window: 0).sql
        static let types: [PostgresDataType] = [.int8, .int8, .int8, .text, .int8]
    }

    enum ClaimAllTag: HotStatementTag {
        static let name = "arriwa_claim_lanes_all_v1"
        static let sql = PostgresStore.claimStatement(owner: "", limit: 0, now: 0, until: 0, window: nil).sql
        static let types: [PostgresDataType] = [.int8, .int8, .text, .int8]
    }

    /// How many of the oldest pending entries a claim looks at first: a backlog of thousands (a
    /// burst of webhooks, timers coming due together) would otherwise be grouped in full by
    /// every claim.
    static let claimWindow: Int64 = 1000

    /// A one-row FROM item that turns this statement's commit asynchronous (`synchronous_commit`
    /// off for its own transaction only): a lease lost in a database crash is harmless — every
    /// commit re-checks its lease, and the lanes are simply claimed again — so a claim need not
    /// wait for its WAL flush (one fsync less per worker round).
    static let asyncCommit = "(SELECT set_config('synchronous_commit', 'off', true)) AS async_commit"

    /// Leases the free lanes with the oldest pending entries — among the oldest `window` entries,
    /// or all of them — and returns what it took.
    static func claimStatement(owner: String, limit: Int64, now: Int64, until: Int64, window: Int64?) -> PostgresQuery {
        var builder = StatementBuilder()
        let windowSQL = window.map { "ORDER BY seq LIMIT \(builder.bind($0))" } ?? ""
        let nowBind = builder.bind(now), limitBind = builder.bind(limit), ownerBind = builder.bind(owner), untilBind = builder.bind(until)
        builder.append("""
            WITH pending AS (
                SELECT tenant, lane, seq FROM inbox WHERE status = 'pending' \(windowSQL)
            ), candidates AS (
                SELECT p.tenant, p.lane, MIN(p.seq) AS first FROM pending p
                WHERE NOT EXISTS (SELECT 1 FROM lanes l WHERE l.tenant = p.tenant AND l.lane = p.lane AND l.lease_until > \(nowBind))
                GROUP BY p.tenant, p.lane ORDER BY first LIMIT \(limitBind)
            )
            INSERT INTO lanes (tenant, lane, owner, lease_until)
            SELECT tenant, lane, \(ownerBind), \(untilBind) FROM candidates, \(Self.asyncCommit) ORDER BY tenant, lane
            ON CONFLICT (tenant, lane) DO UPDATE SET owner = EXCLUDED.owner, lease_until = EXCLUDED.lease_until
            WHERE lanes.lease_until <= \(nowBind)
            RETURNING tenant, lane
            """)
        return builder.query
    }

    public func releaseLane(tenant: String, lane: String, owner: String) async throws {
        try await rows("DELETE FROM lanes WHERE tenant = \(tenant) AND lane = \(lane) AND owner = \(owner)")
    }

    public func failInbox(seq: Int64, owner: String, error: String, now: Int64) async throws {
        let rows = try await rows("""
            WITH entry AS (
                SELECT tenant, lane FROM inbox WHERE seq = \(seq) AND status = 'pending'
            ), lease AS (
                SELECT 1 FROM lanes l JOIN entry e ON l.tenant = e.tenant AND l.lane = e.lane
                WHERE l.owner = \(owner) AND l.lease_until > \(now) FOR UPDATE OF l
            ), failed AS (
                UPDATE inbox SET status = 'failed', error = \(error)
                WHERE seq = \(seq) AND status = 'pending' AND EXISTS (SELECT 1 FROM lease) RETURNING seq
            )
            SELECT (SELECT tenant FROM entry) AS tenant, (SELECT lane FROM entry) AS lane, EXISTS (SELECT 1 FROM failed) AS failed
            """)
        guard let first = rows.first else { return }
        let row = StoredRow(first, table: "inbox")
        guard let tenant = try row.optional("tenant", String.self), let lane = try row.optional("lane", String.self) else { return }
        if try !row.get("failed", Bool.self) {
            throw StoreError(.leaseLost, "lane \(lane) of tenant \(tenant) is not leased to \(owner)")
        }
    }

    public func pendingInboxCount() async throws -> Int {
        let rows = try await rows("SELECT COUNT(*) AS n FROM inbox WHERE status = 'pending'")
        return Int(try rows.first.map { try StoredRow($0, table: "inbox").get("n", Int64.self) } ?? 0)
    }

    /// An inbox row, with its event already decoded when `event` is given.
    static func inboxEntry(_ postgresRow: PostgresRow, event known: EngineEvent? = nil) throws -> InboxEntry {
        let row = StoredRow(postgresRow, table: "inbox")
        let seq = try row.get("seq", Int64.self), tenant = try row.get("tenant", String.self), key = try row.get("dedupe_key", String.self)
        guard let kind = InboxKind(rawValue: try row.get("kind")) else {
            throw StoreError(.corrupt, "inbox row \(seq) (\(tenant)/\(key)): unknown kind")
        }
        let event = try known ?? StoreJSON.decode(EngineEvent.self, from: try row.get("event"), table: "inbox", key: "\(seq) (\(tenant)/\(key))")
        return InboxEntry(seq: seq, item: InboxItem(tenant: tenant, lane: try row.get("lane"), dedupeKey: key, kind: kind, event: event,
                                                    receivedAt: try row.get("received_at")))
    }
}
