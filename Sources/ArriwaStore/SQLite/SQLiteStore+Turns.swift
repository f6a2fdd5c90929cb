public import ArriwaCore
import SQLiteNIO

extension SQLiteStore {
    public func session(tenant: String, id: String) async throws -> SessionState? {
        try await read {
            try await query("SELECT tenant, id, attribution, referral_raw, state FROM sessions WHERE tenant = ? AND id = ?",
                            [.text(tenant), .text(id)]).first.map(Self.session)
        }
    }

    public func latestSession(tenant: String, subscriberID: String) async throws -> SessionState? {
        try await read {
            try await query("""
                SELECT tenant, id, attribution, referral_raw, state FROM sessions WHERE tenant = ? AND subscriber_id = ?
                ORDER BY created_at DESC, rowid DESC LIMIT 1
                """, [.text(tenant), .text(subscriberID)]).first.map(Self.session)
        }
    }

    public func subscriber(tenant: String, lane: String) async throws -> SubscriberRecord? {
        try await read {
            try await query("""
                SELECT tenant, lane, subscriber_id, phone_hash, bsuid, phone_encrypted, created_at FROM subscribers WHERE tenant = ? AND lane = ?
                """, [.text(tenant), .text(lane)]).first.map(Self.subscriber)
        }
    }

    /// One statement: the subscriber with its latest session (a correlated subquery picks it).
    public func laneState(tenant: String, lane: String) async throws -> LaneState {
        try await read {
            guard let row = try await query("""
                SELECT s.tenant, s.lane, s.subscriber_id, s.phone_hash, s.bsuid, s.phone_encrypted, s.created_at,
                       x.id, x.turn, x.attribution, x.referral_raw, x.state
                FROM subscribers s
                LEFT JOIN sessions x ON x.tenant = s.tenant AND x.rowid = (
                    SELECT rowid FROM sessions WHERE tenant = s.tenant AND subscriber_id = s.subscriber_id
                    ORDER BY created_at DESC, rowid DESC LIMIT 1)
                WHERE s.tenant = ? AND s.lane = ?
                """, [.text(tenant), .text(lane)]).first else { return LaneState(subscriber: nil, session: nil) }
            return LaneState(subscriber: try Self.subscriber(row), session: row.optionalString("id") == nil ? nil : try cachedSession(row))
        }
    }

    static func subscriber(_ row: SQLiteRow) throws -> SubscriberRecord {
        SubscriberRecord(tenant: try row.string("tenant"), lane: try row.string("lane"), subscriberID: try row.string("subscriber_id"),
                         phoneHash: row.optionalString("phone_hash"), bsuid: row.optionalString("bsuid"),
                         phoneEncrypted: row.optionalData("phone_encrypted"), createdAt: try row.int("created_at"))
    }

    public func commitTurn(_ commit: TurnCommit) async throws -> TurnCommitResult {
        let rows = try TurnRows(commit)
        for (text, effect) in rows.effects { effectMemo.remember(text, effect) }
        let result = try await transaction {
            let tenant = SQLiteData.text(commit.tenant)
            let lease = try await query("SELECT 1 AS held FROM lanes WHERE tenant = ? AND lane = ? AND owner = ? AND lease_until > ?",
                                        [tenant, .text(commit.lane), .text(commit.owner), .int64(commit.now)])
            guard !lease.isEmpty else {
                throw StoreError(.leaseLost, "lane \(commit.lane) of tenant \(commit.tenant) is not leased to \(commit.owner)")
            }
            for seq in commit.consumed {
                let done = try await query("UPDATE inbox SET status = 'done' WHERE seq = ? AND status = 'pending' RETURNING seq", [.int64(seq)])
                guard !done.isEmpty else { throw StoreError(.alreadyApplied, "inbox entry \(seq) is not pending") }
            }
            if let state = commit.session, let session = rows.session {
                try await writeSession(state, session, commit: commit)
            }
            if let subscriber = commit.subscriber {
                try await execute("""
                    INSERT INTO subscribers (tenant, lane, subscriber_id, phone_hash, bsuid, phone_encrypted, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, lane) DO NOTHING
                    """, [tenant, .text(commit.lane), .text(subscriber.subscriberID), .text(subscriber.phoneHash), .text(subscriber.bsuid),
                          .data(subscriber.phoneEncrypted), .int64(subscriber.createdAt)])
            }
            for id in commit.cancel {
                try await execute("DELETE FROM timers WHERE tenant = ? AND id = ?", [tenant, .text(id)])
            }
            // One multi-row upsert (a commit may schedule thousands: the benchmark's pending timers).
            for chunk in rows.timers.chunked(Self.rowsPerStatement(columns: 8)) {
                try await execute("""
                    INSERT INTO timers (tenant, id, lane, session_id, due_at, spec, dedupe_key, event) VALUES \(Self.placeholders(rows: chunk.count, columns: 8))
                    ON CONFLICT (tenant, id) DO UPDATE SET lane = excluded.lane, session_id = excluded.session_id, due_at = excluded.due_at,
                        spec = excluded.spec, dedupe_key = excluded.dedupe_key, event = excluded.event
                    """, chunk.flatMap { timer -> [SQLiteData] in
                        [tenant, .text(timer.id), .text(timer.lane), .text(timer.sessionID), .int64(timer.dueAt), .text(timer.spec),
                         .text(timer.dedupeKey), .text(timer.event)]
                    })
            }
            let stored = try await insertOutboxRows(rows.outbox.map { ($0, commit.now) })
            for message in commit.messages {
                try await execute("""
                    INSERT INTO message_log (tenant, message_id, provider_message_id, session_id, lane, node, state, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, message_id) DO NOTHING
                    """, [tenant, .text(message.messageID), .text(message.providerMessageID), .text(message.sessionID), .text(message.lane),
                          .text(message.node), .text(message.state), .int64(message.updatedAt)])
            }
            for event in commit.events {
                try await execute("""
                    INSERT INTO event_log (tenant, key, session_id, event, stream, at) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (tenant, key) DO NOTHING
                    """, [tenant, .text(event.key), .text(event.sessionID), .text(event.event), .text(event.stream), .int64(event.at)])
            }
            for record in commit.audit {
                try await execute("INSERT INTO audit_log (tenant, session_id, type, detail, at) VALUES (?, ?, ?, ?, ?)",
                                  [tenant, .text(record.sessionID), .text(record.type), .text(record.detail), .int64(record.at)])
            }
            for id in commit.replied {
                try await execute("""
                    UPDATE message_log SET state = 'replied', updated_at = ? WHERE tenant = ? AND message_id = ?
                        AND \(DeliveryState.sql(next: "'replied'", current: "state"))
                    """, [.int64(commit.now), tenant, .text(id)])
            }
            if commit.releaseLane {
                try await execute("DELETE FROM lanes WHERE tenant = ? AND lane = ? AND owner = ?", [tenant, .text(commit.lane), .text(commit.owner)])
            }
            return TurnCommit.results([commit], stored: stored).first ?? TurnCommitResult()
        }
        sessionCache.committed(commit)
        return result
    }

    /// Inserts a new session or updates the expected turn; attribution and the raw referral stay
    /// as first stored (the SQL keeps a non-empty stored value).
    private func writeSession(_ state: SessionState, _ row: TurnRows.Session, commit: TurnCommit) async throws {
        let values: [SQLiteData] = [
            .text(row.subscriberID), .text(row.flowVersion), .text(row.status), .integer(row.turn), .int64(row.waitToken),
            .int64(row.lastInboundAt), .bool(row.optedOut), .int64(row.snoozedUntil), .bool(row.humanActive),
            .text(row.attribution), .text(row.referralRaw), .text(row.state),
        ]
        if let expected = commit.expectedTurn {
            let updated = try await query("""
                UPDATE sessions SET lane = ?, subscriber_id = ?, flow_version = ?, status = ?, turn = ?, wait_token = ?, last_inbound_at = ?,
                    opted_out = ?, snoozed_until = ?, human_active = ?,
                    attribution = CASE WHEN attribution = '{}' THEN ? ELSE attribution END,
                    referral_raw = COALESCE(referral_raw, ?), state = ?, updated_at = ?
                WHERE tenant = ? AND id = ? AND turn = ? RETURNING turn
                """, [.text(commit.lane)] + values + [.int64(commit.now), .text(commit.tenant), .text(state.id), .integer(expected)])
            guard updated.isEmpty else { return }
            let stored = try await query("SELECT turn FROM sessions WHERE tenant = ? AND id = ?", [.text(commit.tenant), .text(state.id)]).first
            throw StoreError(.turnConflict, stored == nil
                ? "session \(state.id) does not exist, the commit expected turn \(expected)"
                : "session \(state.id) is at turn \(try stored?.int("turn") ?? 0), the commit expected \(expected)")
        } else {
            let inserted = try await query("""
                INSERT INTO sessions (tenant, id, lane, subscriber_id, flow_version, status, turn, wait_token, last_inbound_at, opted_out,
                    snoozed_until, human_active, attribution, referral_raw, state, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, id) DO NOTHING RETURNING turn
                """, [.text(commit.tenant), .text(state.id), .text(commit.lane)] + values + [.int64(commit.now), .int64(commit.now)])
            guard !inserted.isEmpty else {
                throw StoreError(.turnConflict, "session \(state.id) already exists, the commit expected a new session")
            }
        }
    }

    /// The stored state with the stored (immutable) attribution laid over it.
    static func session(_ row: SQLiteRow) throws -> SessionState {
        let key = "\(try row.string("tenant"))/\(try row.string("id"))"
        var state = try StoreJSON.decode(SessionState.self, from: try row.string("state"), table: "sessions", key: key)
        state.attribution = try StoreJSON.decode([String: String].self, from: try row.string("attribution"), table: "sessions", key: key)
        state.referralRaw = row.optionalString("referral_raw")
        return state
    }
}
