public import ArriwaCore
import SQLiteNIO

/// Batched reads and commits of several lanes' turns: a statement per table for the whole batch
/// instead of one per row (every statement is a hop to SQLiteNIO's thread, which is what bounds
/// the embedded store).
extension SQLiteStore {
    /// Rows one multi-row statement carries at most (SQLite allows 32,766 parameters).
    /// Note: key lists are joined from a `VALUES` CTE (`WITH k(…) AS (VALUES …)`), never written as
    /// `(a, b) IN (VALUES …)`, which SQLite answers with a scan of the whole table.
    static func rowsPerStatement(columns: Int) -> Int { max(1, min(500, 30_000 / max(1, columns))) }

    public func laneStates(_ lanes: [LaneRef]) async throws -> [LaneRef: LaneState] {
        let keys = Array(Set(lanes))
        guard keys.count > 1 else {
            guard let key = keys.first else { return [:] }
            let state = try await laneState(tenant: key.tenant, lane: key.lane)
            return state.subscriber == nil ? [:] : [key: state]
        }
        return try await read {
            var states: [LaneRef: LaneState] = [:]
            for chunk in keys.chunked(Self.rowsPerStatement(columns: 2)) {
                let rows = try await query("""
                    WITH k(tenant, lane) AS (VALUES \(Self.placeholders(rows: chunk.count, columns: 2)))
                    SELECT s.tenant, s.lane, s.subscriber_id, s.phone_hash, s.bsuid, s.phone_encrypted, s.created_at,
                           x.id, x.turn, x.attribution, x.referral_raw, x.state
                    FROM k JOIN subscribers s ON s.tenant = k.tenant AND s.lane = k.lane
                    LEFT JOIN sessions x ON x.tenant = s.tenant AND x.rowid = (
                        SELECT rowid FROM sessions WHERE tenant = s.tenant AND subscriber_id = s.subscriber_id
                        ORDER BY created_at DESC, rowid DESC LIMIT 1)
                    """, chunk.flatMap { [.text($0.tenant), .text($0.lane)] })
                for row in rows {
                    let subscriber = try Self.subscriber(row)
                    let session = row.optionalString("id") == nil ? nil : try cachedSession(row)
                    states[LaneRef(tenant: subscriber.tenant, lane: subscriber.lane)] = LaneState(subscriber: subscriber, session: session)
                }
            }
            return states
        }
    }

    public func sessions(_ refs: [SessionRef]) async throws -> [SessionRef: SessionState] {
        let keys = Array(Set(refs))
        guard !keys.isEmpty else { return [:] }
        return try await read {
            var states: [SessionRef: SessionState] = [:]
            for chunk in keys.chunked(Self.rowsPerStatement(columns: 2)) {
                let rows = try await query("""
                    WITH k(tenant, id) AS (VALUES \(Self.placeholders(rows: chunk.count, columns: 2)))
                    SELECT x.tenant, x.id, x.turn, x.attribution, x.referral_raw, x.state FROM k JOIN sessions x ON x.tenant = k.tenant AND x.id = k.id
                    """, chunk.flatMap { [.text($0.tenant), .text($0.id)] })
                for row in rows {
                    let state = try cachedSession(row)
                    states[SessionRef(tenant: try row.string("tenant"), id: state.id)] = state
                }
            }
            return states
        }
    }

    /// One transaction for the lot (and the group commit may add other writers' transactions to
    /// it): every check first over the whole batch, then one statement per table. If any turn
    /// fails a check, the attempt rolls back and each turn commits alone (`commitTurn`), so each
    /// gets its own answer.
    public func commitTurns(_ commits: [TurnCommit]) async -> [Result<TurnCommitResult, any Error>] {
        guard commits.count > 1, TurnCommit.canShareTransaction(commits) else { return await alone(commits) }
        let encoded: [TurnRows]
        do {
            encoded = try await TurnRows.encode(commits)
        } catch {
            return await alone(commits)
        }
        for rows in encoded { for (text, effect) in rows.effects { effectMemo.remember(text, effect) } }
        do {
            let results = try await transaction { try await writeBatch(commits, encoded) }
            for commit in commits { sessionCache.committed(commit) }
            batchStatistics.shared += commits.count
            return results.map { .success($0) }
        } catch {
            logger.debug("a shared commit of turns was rolled back; committing each alone",
                         metadata: ["turns": "\(commits.count)", "reason": "\(error)"])
            return await alone(commits)
        }
    }

    private func alone(_ commits: [TurnCommit]) async -> [Result<TurnCommitResult, any Error>] {
        batchStatistics.alone += commits.count
        return await commitEachAlone(commits)
    }

    /// A session row (with its `turn` column): the cached state when it is at that turn, else
    /// the stored document decoded (and remembered).
    func cachedSession(_ row: SQLiteRow) throws -> SessionState {
        let ref = SessionRef(tenant: try row.string("tenant"), id: try row.string("id"))
        if let state = sessionCache.state(ref, turn: Int(try row.int("turn"))) { return state }
        let state = try Self.session(row)
        sessionCache.remember(ref, state)
        return state
    }

    private func writeBatch(_ commits: [TurnCommit], _ encoded: [TurnRows]) async throws -> [TurnCommitResult] {
        try await checkLeases(commits)
        try await consume(commits)
        try await writeSessions(commits, encoded)
        let subscribers = commits.compactMap { commit in commit.subscriber.map { (commit.lane, $0) } }
        try await insertRows(subscribers, columns: 7, sql: { values in
            "INSERT INTO subscribers (tenant, lane, subscriber_id, phone_hash, bsuid, phone_encrypted, created_at) VALUES \(values) ON CONFLICT (tenant, lane) DO NOTHING"
        }, binds: { lane, subscriber in
            [.text(subscriber.tenant), .text(lane), .text(subscriber.subscriberID), .text(subscriber.phoneHash), .text(subscriber.bsuid),
             .data(subscriber.phoneEncrypted), .int64(subscriber.createdAt)]
        })
        let cancels = commits.flatMap { commit in commit.effectiveCancel.map { (commit.tenant, $0) } }
        try await insertRows(cancels, columns: 2, sql: { values in
            """
            WITH k(tenant, id) AS (VALUES \(values))
            DELETE FROM timers WHERE rowid IN (SELECT t.rowid FROM k JOIN timers t ON t.tenant = k.tenant AND t.id = k.id)
            """
        }, binds: { tenant, id in [.text(tenant), .text(id)] })
        let timers = zip(commits, encoded).flatMap { commit, rows in rows.timers.map { (commit.tenant, $0) } }
        try await insertRows(timers, columns: 8, sql: { values in
            """
            INSERT INTO timers (tenant, id, lane, session_id, due_at, spec, dedupe_key, event) VALUES \(values)
            ON CONFLICT (tenant, id) DO UPDATE SET lane = excluded.lane, session_id = excluded.session_id, due_at = excluded.due_at,
                spec = excluded.spec, dedupe_key = excluded.dedupe_key, event = excluded.event
            """
        }, binds: { tenant, timer in
            [.text(tenant), .text(timer.id), .text(timer.lane), .text(timer.sessionID), .int64(timer.dueAt), .text(timer.spec),
             .text(timer.dedupeKey), .text(timer.event)]
        })
        let results = try await insertOutbox(commits, encoded)
        let messages = commits.flatMap { commit in commit.messages.map { (commit.tenant, $0) } }
        try await insertRows(messages, columns: 8, sql: { values in
            """
            INSERT INTO message_log (tenant, message_id, provider_message_id, session_id, lane, node, state, updated_at) VALUES \(values)
            ON CONFLICT (tenant, message_id) DO NOTHING
            """
        }, binds: { tenant, message in
            [.text(tenant), .text(message.messageID), .text(message.providerMessageID), .text(message.sessionID), .text(message.lane),
             .text(message.node), .text(message.state), .int64(message.updatedAt)]
        })
        let events = commits.flatMap { commit in commit.events.map { (commit.tenant, $0) } }
        try await insertRows(events, columns: 6, sql: { values in
            "INSERT INTO event_log (tenant, key, session_id, event, stream, at) VALUES \(values) ON CONFLICT (tenant, key) DO NOTHING"
        }, binds: { tenant, event in
            [.text(tenant), .text(event.key), .text(event.sessionID), .text(event.event), .text(event.stream), .int64(event.at)]
        })
        let audits = commits.flatMap { commit in commit.audit.map { (commit.tenant, $0) } }
        try await insertRows(audits, columns: 5, sql: { values in
            "INSERT INTO audit_log (tenant, session_id, type, detail, at) VALUES \(values)"
        }, binds: { tenant, record in
            [.text(tenant), .text(record.sessionID), .text(record.type), .text(record.detail), .int64(record.at)]
        })
        let replied = commits.flatMap { commit in commit.replied.map { (commit.tenant, $0, commit.now) } }
        try await insertRows(replied, columns: 3, sql: { values in
            """
            WITH k(tenant, id, now) AS (VALUES \(values))
            UPDATE message_log SET state = 'replied', updated_at = k.now FROM k
            WHERE message_log.tenant = k.tenant AND message_log.message_id = k.id
                AND \(DeliveryState.sql(next: "'replied'", current: "message_log.state"))
            """
        }, binds: { tenant, id, now in [.text(tenant), .text(id), .int64(now)] })
        let released = commits.filter(\.releaseLane)
        try await insertRows(released, columns: 3, sql: { values in
            """
            WITH k(tenant, lane, owner) AS (VALUES \(values))
            DELETE FROM lanes WHERE rowid IN (SELECT l.rowid FROM k JOIN lanes l ON l.tenant = k.tenant AND l.lane = k.lane AND l.owner = k.owner)
            """
        }, binds: { commit in [.text(commit.tenant), .text(commit.lane), .text(commit.owner)] })
        return results
    }

    /// Every commit's lane is leased to its owner, at its own `now`.
    private func checkLeases(_ commits: [TurnCommit]) async throws {
        var held = 0
        for chunk in commits.chunked(Self.rowsPerStatement(columns: 4)) {
            let rows = try await query("""
                WITH k(tenant, lane, owner, now) AS (VALUES \(Self.placeholders(rows: chunk.count, columns: 4)))
                SELECT COUNT(*) AS n FROM k JOIN lanes l ON l.tenant = k.tenant AND l.lane = k.lane AND l.owner = k.owner AND l.lease_until > k.now
                """, chunk.flatMap { [.text($0.tenant), .text($0.lane), .text($0.owner), .int64($0.now)] })
            held += Int(try rows.first?.int("n") ?? 0)
        }
        guard held == commits.count else { throw BatchCheckFailed(check: "lease") }
    }

    /// Every consumed entry was pending and is now done.
    private func consume(_ commits: [TurnCommit]) async throws {
        let seqs = commits.flatMap(\.consumed)
        var done = 0
        for chunk in seqs.chunked(Self.rowsPerStatement(columns: 1)) {
            let marks = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
            done += try await query("UPDATE inbox SET status = 'done' WHERE seq IN (\(marks)) AND status = 'pending' RETURNING seq",
                                    chunk.map { .int64($0) }).count
        }
        guard done == seqs.count else { throw BatchCheckFailed(check: "consumed entries") }
    }

    /// Existing sessions at their expected turn are updated, new ones inserted; each must land.
    private func writeSessions(_ commits: [TurnCommit], _ encoded: [TurnRows]) async throws {
        var updates: [(TurnCommit, SessionState, TurnRows.Session, Int)] = [], inserts: [(TurnCommit, SessionState, TurnRows.Session)] = []
        for (commit, rows) in zip(commits, encoded) {
            guard let state = commit.session, let row = rows.session else { continue }
            if let expected = commit.expectedTurn { updates.append((commit, state, row, expected)) } else { inserts.append((commit, state, row)) }
        }
        func values(_ commit: TurnCommit, _ state: SessionState, _ row: TurnRows.Session) -> [SQLiteData] {
            [.text(commit.tenant), .text(state.id), .text(commit.lane), .text(row.subscriberID), .text(row.flowVersion), .text(row.status),
             .integer(row.turn), .int64(row.waitToken), .int64(row.lastInboundAt), .bool(row.optedOut), .int64(row.snoozedUntil),
             .bool(row.humanActive), .text(row.attribution), .text(row.referralRaw), .text(row.state), .int64(commit.now)]
        }
        var updated = 0
        for chunk in updates.chunked(Self.rowsPerStatement(columns: 17)) {
            updated += try await query("""
                WITH v(tenant, id, lane, subscriber_id, flow_version, status, turn, wait_token, last_inbound_at, opted_out, snoozed_until,
                       human_active, attribution, referral_raw, state, now, expected) AS (VALUES \(Self.placeholders(rows: chunk.count, columns: 17)))
                UPDATE sessions SET lane = v.lane, subscriber_id = v.subscriber_id, flow_version = v.flow_version, status = v.status, turn = v.turn,
                    wait_token = v.wait_token, last_inbound_at = v.last_inbound_at, opted_out = v.opted_out, snoozed_until = v.snoozed_until,
                    human_active = v.human_active,
                    attribution = CASE WHEN sessions.attribution = '{}' THEN v.attribution ELSE sessions.attribution END,
                    referral_raw = COALESCE(sessions.referral_raw, v.referral_raw), state = v.state, updated_at = v.now
                FROM v WHERE sessions.tenant = v.tenant AND sessions.id = v.id AND sessions.turn = v.expected RETURNING sessions.id
                """, chunk.flatMap { values($0.0, $0.1, $0.2) + [.integer($0.3)] }).count
        }
        guard updated == updates.count else { throw BatchCheckFailed(check: "session turn") }
        var inserted = 0
        for chunk in inserts.chunked(Self.rowsPerStatement(columns: 17)) {
            inserted += try await query("""
                INSERT INTO sessions (tenant, id, lane, subscriber_id, flow_version, status, turn, wait_token, last_inbound_at, opted_out,
                    snoozed_until, human_active, attribution, referral_raw, state, created_at, updated_at)
                VALUES \(Self.placeholders(rows: chunk.count, columns: 17)) ON CONFLICT (tenant, id) DO NOTHING RETURNING id
                """, chunk.flatMap { values($0.0, $0.1, $0.2) + [.int64($0.0.now)] }).count
        }
        guard inserted == inserts.count else { throw BatchCheckFailed(check: "new session") }
    }

    /// The batch's outbox rows; what was not stored was already there (duplicates).
    private func insertOutbox(_ commits: [TurnCommit], _ encoded: [TurnRows]) async throws -> [TurnCommitResult] {
        let rows = zip(commits, encoded).flatMap { commit, rows in rows.outbox.map { ($0, commit.now) } }
        return TurnCommit.results(commits, stored: try await insertOutboxRows(rows))
    }

    /// Inserts outbox rows (each with its commit's time) in multi-row statements, returning the
    /// ones stored with their ids: a row not returned was already there.
    func insertOutboxRows(_ rows: [(TurnRows.Outbox, Int64)]) async throws -> [OutboxTriple: Int64] {
        var stored: [OutboxTriple: Int64] = [:]
        for chunk in rows.chunked(Self.rowsPerStatement(columns: 11)) {
            let values = Array(repeating: "(?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)", count: chunk.count).joined(separator: ", ")
            let returned = try await query("""
                INSERT INTO outbox (tenant, key, destination, session_id, lane, effect, available_at, status, attempts, next_attempt_at, owner,
                                    created_at)
                VALUES \(values) ON CONFLICT (tenant, destination, key) DO NOTHING RETURNING id, tenant, destination, key
                """, chunk.flatMap { item, now -> [SQLiteData] in
                    [.text(item.tenant), .text(item.key), .text(item.destination), .text(item.sessionID), .text(item.lane),
                     .text(item.effect), .int64(item.availableAt), .int64(Int64(item.attempts)), .int64(item.nextAttemptAt),
                     item.owner.map(SQLiteData.text) ?? .null, .int64(now)]
                })
            for row in returned {
                let triple = OutboxTriple(tenant: try row.string("tenant"), destination: try row.string("destination"), key: try row.string("key"))
                stored[triple] = try row.int("id")
            }
        }
        return stored
    }

    /// Runs `sql` over `rows` in chunks, with `(?, …)` groups of `columns` parameters as `values`.
    private func insertRows<Row>(_ rows: [Row], columns: Int, sql: (String) -> String, binds: (Row) -> [SQLiteData]) async throws {
        for chunk in rows.chunked(Self.rowsPerStatement(columns: columns)) {
            try await execute(sql(Self.placeholders(rows: chunk.count, columns: columns)), chunk.flatMap(binds))
        }
    }

    static func placeholders(rows: Int, columns: Int) -> String {
        let group = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
        return Array(repeating: group, count: rows).joined(separator: ", ")
    }
}
