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

    /// One round trip: a server-side function (`ClaimFunction`) leases the free lanes with the
    /// oldest pending entries (a lane without a row, or one whose lease ended and that nobody holds
    /// at that moment: a claim never waits for another transaction), then reads the claimed lanes'
    /// entries in a fresh snapshot, so a turn committed just before the claim is never handed out
    /// again. That read brings each lane's subscriber and latest session along
    /// (`LaneClaim.state`): read after the lease is held, they are what the lane's first turn
    /// starts from, and the worker needs no read of its own.
    public func claimLanes(owner: String, limit: Int, perLane: Int, now: Int64, leaseMillis: Int64) async throws -> [LaneClaim] {
        guard limit > 0 else { return [] }
        let until = now + leaseMillis
        let found = try await hot(ClaimLanesTag.self, ClaimFunction.call(window: Self.claimWindow, now: now, limit: Int64(limit), owner: owner,
                                                                        until: until, perLane: Int64(max(0, perLane))))
        guard !found.isEmpty else { return [] }
        // One row per entry (in arrival order), or one with no entry for a claimed lane whose
        // entries were all consumed meanwhile (or perLane 0).
        var emptyLanes: [LaneRef] = [], entryRows: [PostgresRow] = []
        for row in found {
            let stored = StoredRow(row, table: "inbox")
            if try stored.optional("seq", Int64.self) == nil {
                emptyLanes.append(LaneRef(tenant: try stored.get("tenant"), lane: try stored.get("lane")))
            } else {
                entryRows.append(row)
            }
        }
        var order: [LaneRef] = []
        var byLane: [LaneRef: [InboxEntry]] = [:]
        var states: [LaneRef: LaneState] = [:]
        let known = await documents.events(try entryRows.map { try StoredRow($0, table: "inbox").get("event", String.self) })
        let sessions = try await cachedSessions(entryRows)
        for (row, event) in zip(entryRows, known) {
            let entry = try Self.inboxEntry(row, event: event)
            let key = LaneRef(tenant: entry.item.tenant, lane: entry.item.lane)
            let first = byLane[key] == nil
            if first { order.append(key) }
            if first, case .inbound = entry.item.event {
                // The lane's first entry, a message, carries its state (NULL subscriber: a new lead).
                let stored = StoredRow(row, table: "subscribers")
                let subscriber = try stored.optional("subscriber_id", String.self) == nil ? nil : try Self.subscriber(row)
                let session = try stored.optional("id", String.self).flatMap { sessions[SessionRef(tenant: key.tenant, id: $0)] }
                states[key] = LaneState(subscriber: subscriber, session: session)
            }
            byLane[key, default: []].append(entry)
        }
        // A lane with nothing left to do is given back.
        if !emptyLanes.isEmpty {
            try await rows("""
                DELETE FROM lanes l USING unnest(\(emptyLanes.map(\.tenant))::text[], \(emptyLanes.map(\.lane))::text[]) AS e(tenant, lane)
                WHERE l.tenant = e.tenant AND l.lane = e.lane AND l.owner = \(owner)
                """)
        }
        return order.map { LaneClaim(tenant: $0.tenant, lane: $0.lane, leaseUntil: until, entries: byLane[$0] ?? [], state: states[$0]) }
    }

    enum ClaimLanesTag: HotStatementTag {
        static let name = "arriwa_claim_lanes_v2"
        static let sql = ClaimFunction.call(window: 0, now: 0, limit: 0, owner: "", until: 0, perLane: 0).sql
        static let types: [PostgresDataType] = [.int8, .int8, .int8, .text, .int8, .int8]
    }

    /// How many of the oldest pending entries a claim looks at first: a backlog of thousands (a
    /// burst of webhooks, timers coming due together) would otherwise be grouped in full by
    /// every claim.
    static let claimWindow: Int64 = 1000

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
