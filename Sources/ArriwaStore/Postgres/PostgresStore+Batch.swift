public import ArriwaCore
import Foundation
import PostgresNIO

/// Batched reads and commits of several lanes' turns: one round trip for the lot.
extension PostgresStore {
    public func laneStates(_ lanes: [LaneRef]) async throws -> [LaneRef: LaneState] {
        let keys = Array(Set(lanes))
        guard !keys.isEmpty else { return [:] }
        let rows = try await hot(LaneStatesTag.self, Self.laneStatesQuery(keys))
        let sessions = try await cachedSessions(rows)
        var states: [LaneRef: LaneState] = [:]
        for row in rows {
            let subscriber = try Self.subscriber(row)
            let id = try StoredRow(row, table: "sessions").optional("id", String.self)
            states[LaneRef(tenant: subscriber.tenant, lane: subscriber.lane)] = LaneState(
                subscriber: subscriber, session: id.flatMap { sessions[SessionRef(tenant: subscriber.tenant, id: $0)] })
        }
        return states
    }

    /// Each lane's subscriber and its latest session.
    static func laneStatesQuery(_ keys: [LaneRef]) -> PostgresQuery {
        """
        SELECT s.tenant, s.lane, s.subscriber_id, s.phone_hash, s.bsuid, s.phone_encrypted, s.created_at,
               x.id, x.turn, x.attribution::text AS attribution, x.referral_raw, x.state::text AS state
        FROM unnest(\(keys.map(\.tenant))::text[], \(keys.map(\.lane))::text[]) AS k(tenant, lane)
        JOIN subscribers s ON s.tenant = k.tenant AND s.lane = k.lane
        LEFT JOIN LATERAL (
            SELECT id, turn, attribution, referral_raw, state FROM sessions
            WHERE tenant = s.tenant AND subscriber_id = s.subscriber_id ORDER BY created_at DESC, id DESC LIMIT 1
        ) x ON true
        """
    }

    enum LaneStatesTag: HotStatementTag {
        static let name = "arriwa_lane_states_v1"
        static let sql = PostgresStore.laneStatesQuery([]).sql
        static let types: [PostgresDataType] = [.textArray, .textArray]
    }

    public func sessions(_ refs: [SessionRef]) async throws -> [SessionRef: SessionState] {
        let keys = Array(Set(refs))
        guard !keys.isEmpty else { return [:] }
        let rows = try await rows("""
            SELECT x.tenant, x.id, x.turn, x.attribution::text AS attribution, x.referral_raw, x.state::text AS state
            FROM unnest(\(keys.map(\.tenant))::text[], \(keys.map(\.id))::text[]) AS k(tenant, id)
            JOIN sessions x ON x.tenant = k.tenant AND x.id = k.id
            """)
        return try await cachedSessions(rows)
    }

    /// The sessions of rows carrying `tenant, id, turn` and the stored document: cached states at
    /// their stored turn, the others decoded (and remembered). Rows without a session are skipped.
    func cachedSessions(_ rows: [PostgresRow]) async throws -> [SessionRef: SessionState] {
        var turns: [SessionRef: Int] = [:]
        for row in rows {
            let stored = StoredRow(row, table: "sessions")
            guard let id = try stored.optional("id", String.self) else { continue }
            turns[SessionRef(tenant: try stored.get("tenant"), id: id)] = Int(try stored.get("turn", Int64.self))
        }
        guard !turns.isEmpty else { return [:] }
        var sessions = await sessionCache.states(turns)
        var decoded: [SessionRef: SessionState] = [:]
        for row in rows {
            let stored = StoredRow(row, table: "sessions")
            guard let id = try stored.optional("id", String.self) else { continue }
            let ref = SessionRef(tenant: try stored.get("tenant"), id: id)
            if sessions[ref] == nil { decoded[ref] = try Self.session(row) }
        }
        if !decoded.isEmpty {
            await sessionCache.remember(decoded)
            sessions.merge(decoded) { $1 }
        }
        return sessions
    }

    /// One statement per slice of the lot (atomic on its own, one round trip, one commit):
    /// data-modifying CTEs write every table from arrays bound one per column, and the final
    /// SELECT checks every lease, consumed entry and session turn, aborting the statement when one
    /// fails. Then each turn of that slice commits alone (`commitTurn`), so each gets its own answer.
    ///
    /// A large lot is cut into `commitSlices` committed in transactions of their own: each slice's
    /// documents are encoded while the statement of the slice before it runs in the database, so
    /// the worker's CPU (encoding took 3–4 ms of a round of ~14 ms at C = 64) and the database's
    /// work overlap instead of following each other, and the statements run on two backends at
    /// once. The turns of one lot are independent (`canShareTransaction`: different lanes, entries
    /// and timers; and sliced only when no outbox key repeats), so which of them share a
    /// transaction changes nothing but the cost.
    public func commitTurns(_ commits: [TurnCommit]) async -> [Result<TurnCommitResult, any Error>] {
        guard commits.count > 1, TurnCommit.canShareTransaction(commits) else { return await alone(commits) }
        let slices = TurnCommit.outboxKeysDistinct(commits) ? Self.commitSlices(commits.count) : [commits.indices]
        return await withTaskGroup(of: (Int, [Result<TurnCommitResult, any Error>]).self) { group in
            for (index, range) in slices.enumerated() {
                let slice = Array(commits[range])
                // Encoded here, while the previous slice's statement runs in its child task.
                guard let encoded = try? await TurnRows.encode(slice) else {
                    group.addTask { (index, await self.alone(slice)) }
                    continue
                }
                group.addTask { (index, await self.commitShared(slice, encoded)) }
            }
            var results = [[Result<TurnCommitResult, any Error>]](repeating: [], count: slices.count)
            for await (index, slice) in group { results[index] = slice }
            return results.flatMap { $0 }
        }
    }

    /// The fewest turns given a statement of their own: each statement costs about a millisecond
    /// of server time whatever it holds (funnel-5: ~1 ms + 0.16 ms per turn), so small slices would
    /// spend on statements what the overlap saves.
    static let sliceTurns = 12
    /// At most this many slices: two measured faster than one at C = 64, three and four no faster
    /// than two, for more server time per message (docs/benchmarks.md, funnel-5 round 10).
    static let maximumSlices = 2

    /// `count` turns cut into contiguous, ordered slices of at least `sliceTurns` (one when fewer
    /// than twice that).
    static func commitSlices(_ count: Int) -> [Range<Int>] {
        let slices = max(1, min(maximumSlices, count / sliceTurns))
        return (0..<slices).map { index in (count * index / slices)..<(count * (index + 1) / slices) }
    }

    /// The commits of one slice in one statement (one commit: alone); when it is rolled back, each alone.
    private func commitShared(_ commits: [TurnCommit], _ encoded: [TurnRows]) async -> [Result<TurnCommitResult, any Error>] {
        guard commits.count > 1 else { return await alone(commits) }
        do {
            let statement = BatchTurnStatement(commits, encoded: encoded)
            let rows = try await prepared(statement)
            guard let first = rows.first else { return await alone(commits) }
            await documents.remember(effects: statement.effects)
            let stored = try BatchTurnStatement.stored(first)
            sharedTurns.add(commits.count, ordering: .relaxed)
            await sessionCache.committed(commits)
            return TurnCommit.results(commits, stored: stored).map { .success($0) }
        } catch {
            logger.debug("a shared commit of turns was rolled back; committing each alone",
                         metadata: ["turns": "\(commits.count)", "reason": "\(error)"])
            return await alone(commits)
        }
    }

    private func alone(_ commits: [TurnCommit]) async -> [Result<TurnCommitResult, any Error>] {
        aloneTurns.add(commits.count, ordering: .relaxed)
        return await commitEachAlone(commits)
    }

    /// How batched turn commits went (see `commitTurns`).
    public var batchStatistics: BatchCommitStatistics {
        BatchCommitStatistics(shared: sharedTurns.load(ordering: .relaxed), alone: aloneTurns.load(ordering: .relaxed))
    }
}

/// The one-statement commit of turns of different lanes (one turn: `commitTurn`; several:
/// `commitTurns`).
///
/// One statement of one fixed text, whatever the turns hold: every table's rows are bound as one
/// array per column (binary, unpacked by `unnest`; an empty set writes nothing) and the counts the
/// checks compare with are parameters. It runs inside a PL/pgSQL function (`serverFunction`, created by
/// `PostgresStore.migrate`) so that its plan is made once per connection, not at every execution:
/// planning the statement took 0.9 ms of server CPU per commit — a fifth of the commit's time —
/// under the connections' `force_custom_plan` (see `planSettings` for why the cached plan cannot go
/// stale). The client prepares the call of that function (`sql`) on each connection; calling it
/// is planned in microseconds.
///
/// The messages a turn marks replied are locked in primary-key order (`replying`), as batches of
/// delivery records lock theirs (`PostgresStore.recordDelivery`): locks taken in one order cannot
/// deadlock. The lanes need no order: a lane's row is only ever locked by its owner's commit, and
/// claims never wait on a row someone holds (see `ClaimFunction`).
struct BatchTurnStatement: PostgresPreparedStatement {
    typealias Row = PostgresRow

    static let name = "arriwa_commit_turns_v5"

    /// The outbox rows the statement stored with their ids, from its `inserted` column.
    static func stored(_ row: PostgresRow) throws -> [OutboxTriple: Int64] {
        let inserted = try StoredRow(row, table: "outbox").get("inserted", [String].self)
        var stored: [OutboxTriple: Int64] = [:]
        for text in inserted {
            let parts = text.split(separator: "\u{1F}", maxSplits: 3, omittingEmptySubsequences: false)
            guard parts.count == 4, let id = Int64(parts[0]) else {
                throw StoreError(.corrupt, "the turn commit returned an unreadable stored outbox row: \(text)")
            }
            stored[OutboxTriple(tenant: String(parts[1]), destination: String(parts[2]), key: String(parts[3]))] = id
        }
        return stored
    }

    /// Each record set's columns with their SQL types, in binding order (`makeBindings` appends
    /// one array per column in this order).
    enum Columns {
        static let lanes = ["tenant text", "lane text", "owner text", "now bigint", "release boolean"]
        static let sessions = ["tenant text", "id text", "lane text", "subscriber_id text", "flow_version text", "status text", "turn bigint",
                               "wait_token bigint", "last_inbound_at bigint", "opted_out boolean", "snoozed_until bigint", "human_active boolean",
                               "attribution text", "referral_raw text", "state text", "now bigint", "expected bigint"]
        static let subscribers = ["tenant text", "lane text", "subscriber_id text", "phone_hash text", "bsuid text", "phone_encrypted bytea",
                                  "created_at bigint"]
        static let cancels = ["tenant text", "id text"]
        static let timers = ["tenant text", "id text", "lane text", "session_id text", "due_at bigint", "spec text", "dedupe_key text", "event text"]
        static let outbox = ["tenant text", "key text", "destination text", "session_id text", "lane text", "effect text", "available_at bigint",
                             "now bigint", "owner text", "attempts bigint", "next_attempt_at bigint"]
        static let messages = ["tenant text", "message_id text", "provider_message_id text", "session_id text", "lane text", "node text",
                               "state text", "updated_at bigint"]
        static let events = ["tenant text", "key text", "session_id text", "event text", "stream text", "at bigint"]
        static let audits = ["tenant text", "session_id text", "type text", "detail text", "at bigint"]
        static let replied = ["tenant text", "id text", "now bigint"]
    }

    /// The server-side function that runs `parts.body` (see `ServerFunction`).
    static let serverFunction = ServerFunction(prefix: "arriwa_commit_turns") { name in
        let settings = planSettings.map { "SET \($0.key) = \($0.value)" }.joined(separator: " ")
        return """
            CREATE FUNCTION \(name)(\(parts.types.joined(separator: ", "))) RETURNS text[] LANGUAGE plpgsql VOLATILE \(settings)
            AS $arriwa_body$
            DECLARE checked integer; stored text[];
            BEGIN
            \(parts.body)
            INTO checked, stored;
            RETURN stored;
            END
            $arriwa_body$
            """
    }

    /// The planner settings of the function's statement (its `SET` clauses, local to each call).
    /// Its plan is made once per connection — a generic plan, `$n` left as parameters — and kept
    /// until a change to a table it reads invalidates it. Such a plan is made at the first call,
    /// over whatever the tables hold then (nothing, on a new deployment): with sequential scans,
    /// hash and merge joins off, the only plan left is the right one at any size — a nested loop
    /// of primary-key probes for each set of rows, which the schema guarantees by having no other
    /// index on these tables led by the columns the statement looks rows up by (migration 6).
    static let planSettings: KeyValuePairs<String, String> = [
        "plan_cache_mode": "force_generic_plan", "enable_seqscan": "off", "enable_bitmapscan": "off",
        "enable_hashjoin": "off", "enable_mergejoin": "off", "enable_material": "off",
    ]

    /// The prepared call: one function call, planned in microseconds.
    static let sql: String = {
        let arguments = parts.types.indices.map { "$\($0 + 1)::\(parts.types[$0])" }
        return "SELECT \(serverFunction.name)(\(arguments.joined(separator: ", "))) AS inserted"
    }()

    /// The statement (`$n` are the function's arguments) and the SQL types of its parameters.
    static let parts: (body: String, types: [String]) = {
        var next = 0
        var types: [String] = []
        func parameter(_ type: String) -> String {
            next += 1
            types.append(type)
            return "$\(next)::\(type)"
        }
        /// `unnest(<one array per column>) [WITH ORDINALITY] AS r(<names>[, ord])`.
        func rows(_ columns: [String], alias: String = "r", ordered: Bool = false) -> String {
            let arrays = columns.map { column in parameter(String(column.split(separator: " ")[1]) + "[]") }
            let names = columns.map { String($0.split(separator: " ")[0]) } + (ordered ? ["ord"] : [])
            return "unnest(\(arrays.joined(separator: ", ")))\(ordered ? " WITH ORDINALITY" : "") AS \(alias)(\(names.joined(separator: ", ")))"
        }
        let lanes = rows(Columns.lanes), keptCount = parameter("bigint"), releasedCount = parameter("bigint")
        let seqs = parameter("bigint[]"), seqCount = parameter("bigint")
        let sessions = rows(Columns.sessions), updateCount = parameter("bigint"), insertCount = parameter("bigint")
        let subscribers = rows(Columns.subscribers), cancels = rows(Columns.cancels), timers = rows(Columns.timers)
        let outbox = rows(Columns.outbox, ordered: true), messages = rows(Columns.messages)
        let events = rows(Columns.events, ordered: true), audits = rows(Columns.audits, ordered: true), replied = rows(Columns.replied)
        let body = """
            WITH lane_rows AS (SELECT * FROM \(lanes)),
            kept AS (SELECT 1 FROM lanes l JOIN lane_rows r
                ON l.tenant = r.tenant AND l.lane = r.lane AND l.owner = r.owner AND l.lease_until > r.now WHERE NOT r.release FOR UPDATE OF l),
            released AS (DELETE FROM lanes l USING lane_rows r
                WHERE r.release AND l.tenant = r.tenant AND l.lane = r.lane AND l.owner = r.owner AND l.lease_until > r.now RETURNING 1),
            consumed AS (UPDATE inbox SET status = 'done' WHERE seq = ANY(\(seqs)) AND status NOT IN ('done', 'failed') RETURNING seq),
            session_rows AS (SELECT * FROM \(sessions)),
            upd AS (UPDATE sessions s SET lane = r.lane, subscriber_id = r.subscriber_id, flow_version = r.flow_version, status = r.status,
                    turn = r.turn, wait_token = r.wait_token, last_inbound_at = r.last_inbound_at, opted_out = r.opted_out,
                    snoozed_until = r.snoozed_until, human_active = r.human_active,
                    attribution = CASE WHEN s.attribution = '{}'::jsonb THEN r.attribution::jsonb ELSE s.attribution END,
                    referral_raw = COALESCE(s.referral_raw, r.referral_raw), state = r.state, updated_at = r.now
                FROM session_rows r
                WHERE r.expected IS NOT NULL AND s.tenant = r.tenant AND s.id = r.id AND s.turn = r.expected RETURNING 1),
            ins AS (INSERT INTO sessions (tenant, id, lane, subscriber_id, flow_version, status, turn, wait_token, last_inbound_at, opted_out,
                    snoozed_until, human_active, attribution, referral_raw, state, created_at, updated_at)
                SELECT r.tenant, r.id, r.lane, r.subscriber_id, r.flow_version, r.status, r.turn, r.wait_token, r.last_inbound_at, r.opted_out,
                    r.snoozed_until, r.human_active, r.attribution::jsonb, r.referral_raw, r.state, r.now, r.now
                FROM session_rows r WHERE r.expected IS NULL
                ON CONFLICT (tenant, id) DO NOTHING RETURNING 1),
            sub AS (INSERT INTO subscribers (tenant, lane, subscriber_id, phone_hash, bsuid, phone_encrypted, created_at)
                SELECT r.tenant, r.lane, r.subscriber_id, r.phone_hash, r.bsuid, r.phone_encrypted, r.created_at FROM \(subscribers)
                ON CONFLICT (tenant, lane) DO NOTHING),
            cancelled AS (DELETE FROM timers t USING \(cancels) WHERE t.tenant = r.tenant AND t.id = r.id),
            scheduled AS (INSERT INTO timers (tenant, id, lane, session_id, due_at, spec, dedupe_key, event)
                SELECT r.tenant, r.id, r.lane, r.session_id, r.due_at, r.spec, r.dedupe_key, r.event FROM \(timers)
                ON CONFLICT (tenant, id) DO UPDATE SET lane = EXCLUDED.lane, session_id = EXCLUDED.session_id, due_at = EXCLUDED.due_at,
                    spec = EXCLUDED.spec, dedupe_key = EXCLUDED.dedupe_key, event = EXCLUDED.event),
            ob AS (INSERT INTO outbox (tenant, key, destination, session_id, lane, effect, available_at, status, attempts, next_attempt_at, owner,
                    created_at)
                SELECT r.tenant, r.key, r.destination, r.session_id, r.lane, r.effect, r.available_at, 'pending', r.attempts, r.next_attempt_at,
                    r.owner, r.now
                FROM \(outbox) ORDER BY r.ord
                ON CONFLICT (tenant, destination, key) DO NOTHING RETURNING id, tenant, destination, key),
            messages AS (INSERT INTO message_log (tenant, message_id, provider_message_id, session_id, lane, node, state, updated_at)
                SELECT r.tenant, r.message_id, r.provider_message_id, r.session_id, r.lane, r.node, r.state, r.updated_at FROM \(messages)
                ON CONFLICT (tenant, message_id) DO NOTHING),
            events AS (INSERT INTO event_log (tenant, key, session_id, event, stream, at)
                SELECT r.tenant, r.key, r.session_id, r.event, r.stream, r.at FROM \(events) ORDER BY r.ord
                ON CONFLICT (tenant, key) DO NOTHING),
            audit AS (INSERT INTO audit_log (tenant, session_id, type, detail, at)
                SELECT r.tenant, r.session_id, r.type, r.detail, r.at FROM \(audits) ORDER BY r.ord),
            replying AS (SELECT m.tenant, m.message_id, r.now FROM message_log m JOIN \(replied) ON m.tenant = r.tenant AND m.message_id = r.id
                ORDER BY m.tenant, m.message_id FOR UPDATE OF m),
            replied AS (UPDATE message_log m SET state = 'replied', updated_at = x.now FROM replying x
                WHERE m.tenant = x.tenant AND m.message_id = x.message_id AND \(DeliveryState.sql(next: "'replied'", current: "m.state")))
            SELECT CASE WHEN (SELECT COUNT(*) FROM kept) <> \(keptCount) THEN arriwa_abort('lease_lost')
                        WHEN (SELECT COUNT(*) FROM released) <> \(releasedCount) THEN arriwa_abort('lease_lost')
                        WHEN (SELECT COUNT(*) FROM consumed) <> \(seqCount) THEN arriwa_abort('already_applied')
                        WHEN (SELECT COUNT(*) FROM upd) <> \(updateCount) THEN arriwa_abort('turn_conflict')
                        WHEN (SELECT COUNT(*) FROM ins) <> \(insertCount) THEN arriwa_abort('turn_conflict')
                        ELSE 0 END AS ok,
                   (SELECT COALESCE(array_agg(id::text || chr(31) || tenant || chr(31) || destination || chr(31) || key), '{}'::text[]) FROM ob)
                       AS inserted
            """
        return (body, types)
    }()

    private var bindings: PostgresBindings
    /// The queued effects with their texts (see `DocumentMemo`).
    let effects: [(String, Effect)]

    /// `encoded`: the commits' rows in their order (`TurnRows.encode`).
    init(_ commits: [TurnCommit], encoded: [TurnRows]) {
        effects = encoded.flatMap { $0.effects.map { ($0.text, $0.effect) } }
        var b = PostgresBindings(capacity: 80)

        // Lanes: kept (still leased) or released, each checked.
        b.append(commits.map(\.tenant))
        b.append(commits.map(\.lane))
        b.append(commits.map(\.owner))
        b.append(commits.map(\.now))
        b.append(commits.map(\.releaseLane))
        b.append(Int64(commits.count { !$0.releaseLane }))
        b.append(Int64(commits.count { $0.releaseLane }))
        let seqs = commits.flatMap(\.consumed)
        b.append(seqs)
        b.append(Int64(Set(seqs).count))

        // Sessions: updates at their expected turn and inserts of new ones (no expected turn); each
        // must land. Attribution is immutable once set: a non-empty stored value wins, in SQL.
        let sessions = zip(commits, encoded).compactMap { commit, rows -> (TurnCommit, String, TurnRows.Session)? in
            guard let state = commit.session, let row = rows.session else { return nil }
            return (commit, state.id, row)
        }
        b.append(sessions.map(\.0.tenant))
        b.append(sessions.map(\.1))
        b.append(sessions.map(\.0.lane))
        b.append(sessions.map(\.2.subscriberID))
        b.append(sessions.map(\.2.flowVersion))
        b.append(sessions.map(\.2.status))
        b.append(sessions.map { Int64($0.2.turn) })
        b.append(sessions.map(\.2.waitToken))
        b.append(NullableArray(sessions.map(\.2.lastInboundAt)))
        b.append(sessions.map(\.2.optedOut))
        b.append(NullableArray(sessions.map(\.2.snoozedUntil)))
        b.append(sessions.map(\.2.humanActive))
        b.append(sessions.map(\.2.attribution))
        b.append(NullableArray(sessions.map(\.2.referralRaw)))
        b.append(sessions.map(\.2.state))
        b.append(sessions.map(\.0.now))
        b.append(NullableArray(sessions.map { $0.0.expectedTurn.map(Int64.init) }))
        b.append(Int64(sessions.count { $0.0.expectedTurn != nil }))
        b.append(Int64(sessions.count { $0.0.expectedTurn == nil }))

        let subscribers = commits.compactMap { commit in commit.subscriber.map { (commit.lane, $0) } }
        b.append(subscribers.map(\.1.tenant))
        b.append(subscribers.map(\.0))
        b.append(subscribers.map(\.1.subscriberID))
        b.append(NullableArray(subscribers.map(\.1.phoneHash)))
        b.append(NullableArray(subscribers.map(\.1.bsuid)))
        b.append(NullableArray(subscribers.map { $0.1.phoneEncrypted.map { ByteBuffer(bytes: $0) } }))
        b.append(subscribers.map(\.1.createdAt))

        let cancels = commits.flatMap { commit in commit.effectiveCancel.map { (commit.tenant, $0) } }
        b.append(cancels.map(\.0))
        b.append(cancels.map(\.1))

        let timers = zip(commits, encoded).flatMap { commit, rows in rows.timers.map { (commit.tenant, $0) } }
        b.append(timers.map(\.0))
        b.append(timers.map(\.1.id))
        b.append(timers.map(\.1.lane))
        b.append(timers.map(\.1.sessionID))
        b.append(timers.map(\.1.dueAt))
        b.append(timers.map(\.1.spec))
        b.append(timers.map(\.1.dedupeKey))
        b.append(timers.map(\.1.event))

        let outbox = zip(commits, encoded).flatMap { commit, rows in rows.outbox.map { (commit.now, $0) } }
        b.append(outbox.map(\.1.tenant))
        b.append(outbox.map(\.1.key))
        b.append(outbox.map(\.1.destination))
        b.append(outbox.map(\.1.sessionID))
        b.append(outbox.map(\.1.lane))
        b.append(outbox.map(\.1.effect))
        b.append(outbox.map(\.1.availableAt))
        b.append(outbox.map(\.0))
        b.append(NullableArray(outbox.map(\.1.owner)))
        b.append(outbox.map { Int64($0.1.attempts) })
        b.append(outbox.map(\.1.nextAttemptAt))

        let messages = commits.flatMap { commit in commit.messages.map { (commit.tenant, $0) } }
        b.append(messages.map(\.0))
        b.append(messages.map(\.1.messageID))
        b.append(NullableArray(messages.map(\.1.providerMessageID)))
        b.append(messages.map(\.1.sessionID))
        b.append(messages.map(\.1.lane))
        b.append(NullableArray(messages.map(\.1.node)))
        b.append(messages.map(\.1.state))
        b.append(messages.map(\.1.updatedAt))

        let events = commits.flatMap { commit in commit.events.map { (commit.tenant, $0) } }
        b.append(events.map(\.0))
        b.append(events.map(\.1.key))
        b.append(events.map(\.1.sessionID))
        b.append(events.map(\.1.event))
        b.append(events.map(\.1.stream))
        b.append(events.map(\.1.at))

        let audits = commits.flatMap { commit in commit.audit.map { (commit.tenant, $0) } }
        b.append(audits.map(\.0))
        b.append(audits.map(\.1.sessionID))
        b.append(audits.map(\.1.type))
        b.append(audits.map(\.1.detail))
        b.append(audits.map(\.1.at))

        let replied = commits.flatMap { commit in commit.replied.map { (commit.tenant, $0, commit.now) } }
        b.append(replied.map(\.0))
        b.append(replied.map(\.1))
        b.append(replied.map(\.2))
        bindings = b
    }

    func makeBindings() throws -> PostgresBindings { bindings }

    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

/// A one-dimensional array parameter whose elements may be NULL, in PostgreSQL's binary array
/// format (PostgresNIO encodes arrays of non-optional elements only): the header, then each element
/// as a length-prefixed value, or length -1 for NULL.
struct NullableArray<Element: PostgresArrayEncodable & PostgresNonThrowingEncodable>: PostgresNonThrowingEncodable, PostgresDynamicTypeEncodable {
    var elements: [Element?]

    init(_ elements: [Element?]) {
        self.elements = elements
    }

    static var psqlType: PostgresDataType { Element.psqlArrayType }
    static var psqlFormat: PostgresFormat { .binary }
    var psqlType: PostgresDataType { Element.psqlArrayType }
    var psqlFormat: PostgresFormat { .binary }

    func encode<JSONEncoder: PostgresJSONEncoder>(into buffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        buffer.writeInteger(elements.isEmpty ? 0 : 1, as: Int32.self)                // dimensions
        buffer.writeInteger(elements.contains { $0 == nil } ? 1 : 0, as: Int32.self)  // has NULLs
        buffer.writeInteger(Element.psqlType.rawValue)                                // element type
        guard !elements.isEmpty else { return }
        buffer.writeInteger(Int32(elements.count))                                    // length
        buffer.writeInteger(1, as: Int32.self)                                        // lower bound
        for element in elements {
            if let element {
                let lengthAt = buffer.writerIndex
                buffer.writeInteger(0, as: Int32.self)
                let start = buffer.writerIndex
                element.encode(into: &buffer, context: context)
                buffer.setInteger(Int32(buffer.writerIndex - start), at: lengthAt)
            } else {
                buffer.writeInteger(-1, as: Int32.self)
            }
        }
    }
}
