import ArriwaCore
@testable import ArriwaStore
import ArriwaTestSupport
import Foundation
import PostgresNIO
import Testing

/// PostgreSQL commits turns through one prepared call of a function (`BatchTurnStatement`) whose
/// statement is planned once per connection.
@Suite("PostgreSQL prepared turn commits")
struct PostgresPreparedCommitTests {

    /// A store on a fresh database (dropped at shutdown), migrated unless told otherwise.
    private func freshStore(connections: Int, migrated: Bool = true) async throws -> PostgresStore {
        let admin = try await PostgresTestServer.adminURL()
        let name = PostgresTestServer.freshDatabaseName()
        try await PostgresAdmin.createDatabase(name, adminURL: admin, logger: StoreFixture.logger)
        let configuration = PostgresStore.Configuration(maximumConnections: connections, afterShutdown: {
            try? await PostgresAdmin.dropDatabase(name, adminURL: admin, logger: StoreFixture.logger)
        })
        let store = try await PostgresStore.open(url: try PostgresAdmin.url(admin, database: name), configuration: configuration,
                                                 logger: StoreFixture.logger)
        if migrated { _ = try await store.migrate() }
        return store
    }

    /// A store on a fresh database as the migrations up to `version` left it (an older binary's).
    private func storeAtVersion(_ version: Int) async throws -> PostgresStore {
        let store = try await freshStore(connections: 2, migrated: false)
        try await store.rows("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)")
        for migration in PostgresSchema.migrations where migration.version <= version {
            for statement in migration.statements { try await store.rows(PostgresQuery(unsafeSQL: statement)) }
            try await store.rows("INSERT INTO schema_migrations (version, applied_at) VALUES (\(Int32(migration.version)), 0)")
        }
        return store
    }

    /// A store with a single pooled connection, so every statement runs on it.
    private func oneConnectionStore() async throws -> PostgresStore {
        try await freshStore(connections: 1)
    }

    @Test("the store's connections plan every execution of a prepared statement")
    func customPlans() async throws {
        let store = try await oneConnectionStore()
        defer { Task { try? await store.shutdown() } }
        let rows = try await store.rows("SHOW plan_cache_mode")
        #expect(try rows.first?.decode(String.self) == "force_custom_plan")
    }

    @Test("the store's connections have bitmap scans off, so queue scans are plain index scans that mark consumed entries dead")
    func noBitmapScans() async throws {
        let store = try await oneConnectionStore()
        defer { Task { try? await store.shutdown() } }
        #expect(try await store.rows("SHOW enable_bitmapscan").first?.decode(String.self) == "off")
        // A message looked up by either id is found by two index lookups, one per id: an OR of the
        // two (a bitmap OR before) would now scan every message of the tenant.
        let literals = ["$1": "'t'", "$2": "'m'", "$3": "NULL::text", "$4": "'sent'", "$5": "1"]
        let sql = literals.reduce(DeliveryStatement.sql) { $0.replacingOccurrences(of: $1.key, with: $1.value) }
        let plan = try await store.rows(PostgresQuery(unsafeSQL: "EXPLAIN (FORMAT TEXT) " + sql))
            .map { try $0.decode(String.self) }.joined(separator: "\n")
        let indexConditions = plan.split(separator: "\n").filter { $0.contains("Index Cond") }.joined(separator: "\n")
        #expect(indexConditions.contains("(message_id = 'm'::text)") && indexConditions.contains("(provider_message_id = 'm'::text)")
                && !plan.contains("Seq Scan") && !plan.contains("Bitmap"), "\(plan)")
    }

    /// The plan a server function keeps for its statement `body`: the same statement, prepared on
    /// `store`'s one connection with the functions' planner settings, as a generic plan.
    /// `name`: the prepared statement's, new on that connection.
    private func functionPlan(_ body: String, types: [String], on store: PostgresStore, name: String = "function_plan") async throws -> String {
        for (name, value) in BatchTurnStatement.planSettings {
            try await store.rows(PostgresQuery(unsafeSQL: "SET \(name) = \(value)"))
        }
        try await store.rows(PostgresQuery(unsafeSQL: "PREPARE \(name)(\(types.joined(separator: ", "))) AS \(body)"))
        let nulls = Array(repeating: "NULL", count: types.count).joined(separator: ", ")
        return try await store.rows(PostgresQuery(unsafeSQL: "EXPLAIN (COSTS OFF) EXECUTE \(name)(\(nulls))"))
            .map { try $0.decode(String.self) }.joined(separator: "\n")
    }

    @Test("the turn commit's cached plan, made over the empty tables of a new database, probes each table by its primary key only")
    func commitPlanProbesPrimaryKeys() async throws {
        let store = try await oneConnectionStore()
        defer { Task { try? await store.shutdown() } }
        // The function's statement is planned once per connection, with the function's settings,
        // as a generic plan — on a new deployment over empty tables, where the planner cannot tell
        // a table's primary key from another index led by the same column.
        let plan = try await functionPlan(BatchTurnStatement.parts.body, types: BatchTurnStatement.parts.types, on: store)
        #expect(plan.contains("$8"), "not a generic plan:\n\(plan)")
        for scan in ["Seq Scan", "Bitmap", "Hash Join", "Merge Join"] {
            #expect(!plan.contains(scan), "\(scan) in the commit's plan:\n\(plan)")
        }
        let indexes = Set(plan.split(separator: "\n").compactMap { line -> String? in
            guard let range = line.range(of: "Index Scan using ") else { return nil }
            return String(line[range.upperBound...].prefix { $0 != " " })
        })
        #expect(indexes == ["lanes_pkey", "inbox_pkey", "sessions_pkey", "timers_pkey", "message_log_pkey"], "\(plan)")
    }

    @Test("the outbox completion's cached plan, made over the empty tables of a new database, probes the outbox and message log by their primary keys only")
    func completionPlanProbesPrimaryKeys() async throws {
        let store = try await oneConnectionStore()
        defer { Task { try? await store.shutdown() } }
        // As for the commit: the function's plan is generic, made once over whatever the tables
        // hold; a partial index of pending rows matched by the statement would be scanned whole
        // for every completed row.
        let plan = try await functionPlan(CompletionFunction.body, types: CompletionFunction.types, on: store)
        for scan in ["Seq Scan", "Bitmap", "Hash Join", "Merge Join"] {
            #expect(!plan.contains(scan), "\(scan) in the completion's plan:\n\(plan)")
        }
        let scans = plan.split(separator: "\n").filter { $0.contains("Index Scan") }
        #expect(scans.count == 3 && scans.allSatisfy { $0.contains("outbox_pkey") || $0.contains("message_log_pkey") }, "\(plan)")
        #expect(plan.contains("Index Cond: (id = u.id)"), "\(plan)")
    }

    @Test("the lane claim's cached plans, made over the empty tables of a new database, find every row through an index")
    func claimPlansProbeIndexes() async throws {
        let store = try await oneConnectionStore()
        defer { Task { try? await store.shutdown() } }
        // The claim's statements are planned once per connection, generically: over a new
        // deployment's empty tables too, each table must be read through the index led by what
        // the statement knows — never a scan of a whole table or of every pending entry's lane.
        let types = ["bigint", "bigint", "bigint", "text", "bigint", "bigint", "text[]", "text[]"]
        var indexes: Set<String> = []
        let bodies = [ClaimFunction.lease(window: "ORDER BY i.seq LIMIT $1"), ClaimFunction.lease(window: ""), ClaimFunction.entries(of: "$7, $8")]
        for (index, body) in bodies.enumerated() {
            let plan = try await functionPlan(body, types: types, on: store, name: "claim_plan_\(index)")
            for scan in ["Seq Scan", "Bitmap", "Hash Join", "Merge Join"] {
                #expect(!plan.contains(scan), "\(scan) in a claim's plan:\n\(plan)")
            }
            for line in plan.split(separator: "\n") where line.contains("Scan") {
                guard let range = line.range(of: " using ") else { continue }
                indexes.insert(String(line[range.upperBound...].prefix { $0 != " " }))
            }
        }
        #expect(indexes == ["inbox_pending", "lanes_pkey", "inbox_lane_pending", "subscribers_pkey", "sessions_latest"], "\(indexes)")
    }

    @Test("a batch is cut into at most two ordered, contiguous slices, each of at least the slice size")
    func commitSlices() {
        for count in 0...100 {
            let slices = PostgresStore.commitSlices(count)
            #expect(slices.first?.lowerBound == 0 && slices.last?.upperBound == count)
            #expect(zip(slices, slices.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
            #expect(slices.count == (count >= 2 * PostgresStore.sliceTurns ? PostgresStore.maximumSlices : 1), "\(count): \(slices)")
            #expect(slices.count == 1 || slices.allSatisfy { $0.count >= PostgresStore.sliceTurns }, "\(count): \(slices)")
        }
    }

    /// `count` lanes with one pending entry each, claimed by "W", and a turn for each that starts
    /// its session, sends `send(n)` and schedules a nudge.
    private func newSessions(_ count: Int, in store: PostgresStore, send: (Int) -> String) async throws -> [TurnCommit] {
        for n in 1...count { _ = try await store.appendInbox(Sample.item(n, id: "m\(n)")) }
        let claims = try await store.claimLanes(owner: "W", limit: count, perLane: 1, now: 100, leaseMillis: 60_000)
        try #require(claims.count == count)
        var commits: [TurnCommit] = []
        for n in 1...count {
            let claim = try #require(claims.first { $0.lane == "hash-\(n)" })
            let state = Sample.session(n)
            var commit = TurnCommit(tenant: Sample.tenant, lane: claim.lane, owner: "W", now: 200, consumed: claim.entries.map(\.seq),
                                    session: state, releaseLane: true)
            commit.add(effects: [Sample.send(send(n), session: state), .schedule(Sample.timer(state, due: 60_000))])
            commits.append(commit)
        }
        return commits
    }

    /// How many transactions wrote the rows `table` holds (their distinct `xmin`).
    private func transactions(writing table: String, in store: PostgresStore) async throws -> Int {
        try await store.rows(PostgresQuery(unsafeSQL: "SELECT COUNT(DISTINCT xmin::text) FROM \(table)")).first?.decode(Int.self) ?? 0
    }

    @Test("a large batch commits in two transactions at once: a lost lease in the second fails that turn alone and leaves the first's")
    func slicedBatch() async throws {
        let store = try await freshStore(connections: 4)
        defer { Task { try? await store.shutdown() } }
        let count = 2 * PostgresStore.sliceTurns + 6
        var commits = try await newSessions(count, in: store) { "msg-\($0)" }
        commits[count - 1].owner = "someone-else"
        let results = await store.commitTurns(commits)
        let slices = PostgresStore.commitSlices(count)
        try #require(slices.count == 2 && results.count == count)
        for n in 1..<count { #expect(try results[n - 1].get().duplicateOutboxKeys.isEmpty, "turn \(n)") }
        #expect((results[count - 1].failureError as? StoreError)?.code == .leaseLost)
        // The first slice was one statement; the second, rolled back by the stranger, went turn by turn.
        #expect(store.batchStatistics == BatchCommitStatistics(shared: slices[0].count, alone: slices[1].count))
        #expect(try await transactions(writing: "sessions", in: store) == 1 + slices[1].count - 1)
        for n in 1..<count {
            #expect(try await store.session(tenant: Sample.tenant, id: Sample.session(n).id) == Sample.session(n))
            #expect(try await store.pendingTimers(tenant: Sample.tenant, sessionID: Sample.session(n).id).count == 1)
        }
        #expect(try await store.session(tenant: Sample.tenant, id: Sample.session(count).id) == nil)
        #expect(try await store.outbox(OutboxFilter(tenant: Sample.tenant)).count == count - 1)
        #expect(try await store.pendingInboxCount() == 1)
    }

    @Test("a large batch that repeats an outbox key across its turns commits in one transaction, the first turn storing the key")
    func repeatedKeyKeepsOneTransaction() async throws {
        let store = try await freshStore(connections: 4)
        defer { Task { try? await store.shutdown() } }
        let count = 2 * PostgresStore.sliceTurns + 6
        // The first and the last turn queue the same key: in two transactions at once, either
        // could store it first.
        let commits = try await newSessions(count, in: store) { $0 == 1 || $0 == count ? "same" : "msg-\($0)" }
        let results = await store.commitTurns(commits)
        #expect(try results[0].get().duplicateOutboxKeys.isEmpty)
        #expect(try results[count - 1].get().duplicateOutboxKeys == ["channel/same"])
        #expect(store.batchStatistics == BatchCommitStatistics(shared: count, alone: 0))
        #expect(try await transactions(writing: "sessions", in: store) == 1)
        let same = try await store.outbox(OutboxFilter(tenant: Sample.tenant)).filter { $0.item.key == "same" }
        #expect(same.map(\.item.sessionID) == [Sample.session(1).id])
    }

    @Test("a claim looks past the oldest pending entries when all their lanes are leased")
    func claimBeyondTheWindow() async throws {
        let store = try await oneConnectionStore()
        defer { Task { try? await store.shutdown() } }
        // More pending entries than the claim's first look covers, all in one lane that A holds…
        let held = Int(PostgresStore.claimWindow) + 5
        await withTaskGroup(of: Void.self) { group in
            for n in 0..<held { group.addTask { _ = try? await store.appendInbox(Sample.item(1, id: "held-\(n)")) } }
        }
        #expect(try await store.claimLanes(owner: "A", limit: 1, perLane: 1, now: 10, leaseMillis: 60_000).map(\.lane) == ["hash-1"])
        // …and one entry behind them in a free lane: B's claim finds it over every pending entry.
        _ = try await store.appendInbox(Sample.item(2, id: "free"))
        let claims = try await store.claimLanes(owner: "B", limit: 4, perLane: 4, now: 20, leaseMillis: 60_000)
        #expect(claims.map(\.lane) == ["hash-2"])
        #expect(claims.first?.entries.map(\.item.dedupeKey) == ["free"])
        #expect(claims.first?.state == LaneState(subscriber: nil, session: nil))
    }

    @Test("a claim skips a lane whose row another transaction holds instead of waiting for it (no lock cycle with commits or claims)")
    func claimsNeverWaitOnHeldLanes() async throws {
        let store = try await freshStore(connections: 2)
        defer { Task { try? await store.shutdown() } }
        _ = try await store.appendInbox(Sample.item(1, id: "m1"))
        _ = try await store.appendInbox(Sample.item(2, id: "m2"))
        // A's leases end at 20; at 100 both lanes are free to take over.
        #expect(try await store.claimLanes(owner: "A", limit: 4, perLane: 1, now: 10, leaseMillis: 10).count == 2)
        // Another transaction holds hash-1's row (as A's turn commit does while it runs) until B's
        // claim has returned, or for 30 s: B's claim takes hash-2 and skips hash-1 without waiting.
        // Waiting there is what let a claim and a commit (or two claims) each wait for the other
        // (3 worker loops: 14 deadlocks in 6 runs). A claim that waited could only return after the
        // holder let go, so the holder would end by its deadline, not by the claim's return — this
        // tells the two apart without timing the claim, which a loaded machine can make slow.
        let (locked, lockedSignal) = AsyncStream<Void>.makeStream()
        let (claimed, claimedSignal) = AsyncStream<Void>.makeStream()
        async let heldUntilClaimed: Bool = store.transaction { connection in
            try await store.rows("SELECT 1 FROM lanes WHERE lane = 'hash-1' FOR UPDATE", on: connection)
            lockedSignal.yield()
            return await withTaskGroup(of: Bool.self) { group in
                group.addTask { for await _ in claimed { return true }; return false }
                group.addTask { try? await Task.sleep(for: .seconds(30)); return false }
                let first = await group.next() ?? false
                group.cancelAll()
                return first
            }
        }
        for await _ in locked { break }
        let skipped = try await store.claimLanes(owner: "B", limit: 4, perLane: 1, now: 100, leaseMillis: 1_000)
        claimedSignal.yield()
        claimedSignal.finish()
        #expect(try await heldUntilClaimed, "the claim returned only after the held lane's row was let go")
        #expect(skipped.map(\.lane) == ["hash-2"])
        // Once it is let go, the next claim takes it over.
        #expect(try await store.claimLanes(owner: "C", limit: 4, perLane: 1, now: 200, leaseMillis: 1_000).map(\.lane) == ["hash-1"])
    }

    @Test("a claim reads a lane's state only when the lane's first entry is a message (a timer's turn starts from the session it names)")
    func claimStatesForMessagesOnly() async throws {
        let store = try await oneConnectionStore()
        defer { Task { try? await store.shutdown() } }
        let timer = Sample.timer(Sample.session(2), due: 500)
        _ = try await store.appendInbox(InboxItem(tenant: Sample.tenant, lane: "hash-2", dedupeKey: "timer-1", kind: .timer,
                                                  event: .timer(TimerFired(timer)), receivedAt: 500))
        _ = try await store.appendInbox(Sample.item(1, id: "m1"))
        let claims = try await store.claimLanes(owner: "W", limit: 4, perLane: 4, now: 600, leaseMillis: 10_000)
        #expect(claims.map(\.lane) == ["hash-2", "hash-1"])
        #expect(claims.first?.state == nil, "a timer-first lane: not read")
        #expect(claims.last?.state == LaneState(subscriber: nil, session: nil), "a message-first lane: read (a new lead)")
    }

    @Test("a claimed lane with no entry to hand out is given back at once")
    func emptyClaimsAreReleased() async throws {
        let store = try await oneConnectionStore()
        defer { Task { try? await store.shutdown() } }
        _ = try await store.appendInbox(Sample.item(1, id: "m1"))
        // perLane 0: the lane is leased by the claim, then has nothing to hand out.
        #expect(try await store.claimLanes(owner: "A", limit: 4, perLane: 0, now: 10, leaseMillis: 60_000).isEmpty)
        #expect(try await store.rows("SELECT COUNT(*) FROM lanes").first?.decode(Int64.self) == 0)
        #expect(try await store.claimLanes(owner: "B", limit: 4, perLane: 4, now: 20, leaseMillis: 60_000).map(\.lane) == ["hash-1"])
    }

    @Test("migrate creates the hot path's functions once, and the commit calls its own")
    func commitFunction() async throws {
        let store = try await oneConnectionStore()
        defer { Task { try? await store.shutdown() } }
        #expect(try await store.migrate().isEmpty)
        for function in PostgresStore.serverFunctions {
            let count = try await store.rows("SELECT COUNT(*) FROM pg_proc WHERE proname = \(function.name)").first?.decode(Int64.self)
            #expect(count == 1, "\(function.name)")
        }
        #expect(BatchTurnStatement.sql.hasPrefix("SELECT \(BatchTurnStatement.serverFunction.name)("))
        let settings = try await store.rows("""
            SELECT array_to_string(proconfig, ',') FROM pg_proc WHERE proname = \(BatchTurnStatement.serverFunction.name)
            """).first?.decode(String.self)
        #expect(settings?.contains("plan_cache_mode=force_generic_plan") == true && settings?.contains("enable_seqscan=off") == true)
    }

    @Test("the hot path's statements are prepared once on a connection and reused, each text built by its call site's builder")
    func hotStatementsArePrepared() async throws {
        let store = try await oneConnectionStore()
        defer { Task { try? await store.shutdown() } }
        for round in 1...2 {
            _ = try await store.appendInbox(Sample.item(1, id: "hot-\(round)"))
            let claim = try #require(try await store.claimLanes(owner: "W", limit: 4, perLane: 4, now: 10 * Int64(round), leaseMillis: 5).first)
            let states = try await store.laneStates([LaneRef(tenant: claim.tenant, lane: claim.lane)])
            let state = states.values.first?.session ?? Sample.session(1)
            var next = state
            next.turn += round == 1 ? 0 : 1
            var commit = TurnCommit(tenant: Sample.tenant, lane: claim.lane, owner: "W", now: 10 * Int64(round) + 1, consumed: claim.entries.map(\.seq),
                                    session: next, expectedTurn: round == 1 ? nil : state.turn, releaseLane: true)
            commit.add(effects: [Sample.send("hot-m\(round)", session: next)])
            _ = try await store.commitTurn(commit)
            let rows = try await store.claimOutbox(owner: "D", limit: 4, now: 100 * Int64(round), leaseMillis: 10)
            #expect(rows.count == 1)
            for row in rows { try await store.completeOutbox(id: row.id, owner: "D", outcome: .delivered(remoteID: nil), now: 100 * Int64(round) + 1) }
        }
        let prepared = try await store.rows("SELECT name FROM pg_prepared_statements").map { try $0.decode(String.self) }
        for tag in [PostgresStore.AppendTag.name, PostgresStore.ClaimLanesTag.name, PostgresStore.LaneStatesTag.name,
                    PostgresStore.ClaimOutboxTag.name, PostgresStore.CompletionsTag.name, BatchTurnStatement.name] {
            #expect(prepared.contains(tag), "\(tag) not prepared: \(prepared)")
        }
        // Each text is its builder's (a drift would fail the driver's bindings or this).
        #expect(PostgresStore.AppendTag.sql == PostgresStore.appendQuery([Sample.item(1, id: "x")], events: ["{}"]).sql)
        #expect(PostgresStore.ClaimOutboxTag.sql == PostgresStore.claimOutboxQuery(owner: "o", limit: 5, now: 6, until: 7).sql)
    }

    @Test("statements that fail after their row description give their connection back, prepared or not (one connection, 300 rounds)")
    func failedStatementsReleaseTheirConnection() async throws {
        let store = try await oneConnectionStore()
        defer { Task { try? await store.shutdown() } }
        // PostgresNIO 1.33 leaves a connection leased for good when a statement's error arrives
        // before its rows are consumed (`PSQLRowStream.asyncSequence` never calls `onFinish` for a
        // stream that already failed): every later statement then waits for a connection forever.
        // An aborted turn commit is such a statement. With one connection, one leak hangs here;
        // the deadline turns that into a failure. The race needs the caller to resume later than
        // the error arrives: busy tasks keep the cooperative pool loaded meanwhile, as a loaded
        // machine does.
        let leaseless = TurnCommit(tenant: Sample.tenant, lane: "hash-none", owner: "W", now: 1, consumed: [], session: nil)
        let load = (0..<4).map { _ in
            Task.detached {
                while !Task.isCancelled {
                    var sum = 0
                    for value in 0..<200_000 { sum &+= value }
                    withExtendedLifetime(sum) {}
                    await Task.yield()
                }
            }
        }
        defer { load.forEach { $0.cancel() } }
        try await store.withDeadline(.seconds(30)) {
            for n in 0..<300 {
                await expectStoreError(.leaseLost) { try await store.commitTurn(leaseless) }
                let aborted: Bool
                do {
                    try await store.rows("SELECT arriwa_abort('test') AS aborted")
                    aborted = false
                } catch {
                    aborted = true
                }
                #expect(aborted)
                let echoed = try await store.rows("SELECT \(Int64(n)) AS n").first?.decode(Int64.self)
                #expect(echoed == Int64(n))
            }
        }
    }

    @Test("one connection runs the prepared commit again and again: new turns, updates, batches and a rejected stale turn")
    func reusedOnOneConnection() async throws {
        let store = try await oneConnectionStore()
        defer { Task { try? await store.shutdown() } }
        var states: [SessionState] = []
        // Eight new sessions, one turn each (the statement is prepared by the first and reused).
        for n in 1...8 {
            _ = try await store.appendInbox(Sample.item(n, id: "first-\(n)"))
            let claim = try #require(try await store.claimLanes(owner: "W", limit: 1, perLane: 1, now: 10, leaseMillis: 10_000).first)
            let state = Sample.session(n)
            var commit = TurnCommit(tenant: Sample.tenant, lane: claim.lane, owner: "W", now: 20, consumed: claim.entries.map(\.seq),
                                    session: state, releaseLane: true)
            commit.add(effects: [Sample.send("s\(n)-m1", session: state), .schedule(Sample.timer(state, due: 1_000))])
            _ = try await store.commitTurn(commit)
            states.append(state)
        }
        // The next turn of all eight in one batch.
        for n in 1...8 { _ = try await store.appendInbox(Sample.item(n, id: "second-\(n)")) }
        let claims = try await store.claimLanes(owner: "W", limit: 8, perLane: 1, now: 30, leaseMillis: 10_000)
        try #require(claims.count == 8)
        var commits: [TurnCommit] = []
        for claim in claims {
            let n = try #require(states.firstIndex { Sample.tenant == claim.tenant && $0.phoneHash == claim.lane })
            var next = states[n]
            next.turn += 1
            next.step = "q2"
            var commit = TurnCommit(tenant: Sample.tenant, lane: claim.lane, owner: "W", now: 40, consumed: claim.entries.map(\.seq),
                                    session: next, expectedTurn: states[n].turn, releaseLane: true)
            commit.add(effects: [Sample.send("s\(n + 1)-m2", session: next)])
            commits.append(commit)
            states[n] = next
        }
        for result in await store.commitTurns(commits) { _ = try result.get() }
        #expect(store.batchStatistics == BatchCommitStatistics(shared: 8, alone: 0))
        for state in states { #expect(try await store.session(tenant: Sample.tenant, id: state.id)?.step == "q2") }
        #expect(try await store.outbox(OutboxFilter(tenant: Sample.tenant)).count == 16)
        // A turn computed from a stale state is still refused, naming the conflict, and writes nothing.
        _ = try await store.appendInbox(Sample.item(1, id: "third-1"))
        let claim = try #require(try await store.claimLanes(owner: "W", limit: 1, perLane: 1, now: 50, leaseMillis: 10_000).first)
        var stale = states[0]
        stale.turn += 1
        var commit = TurnCommit(tenant: Sample.tenant, lane: claim.lane, owner: "W", now: 60, consumed: claim.entries.map(\.seq),
                                session: stale, expectedTurn: states[0].turn - 1)
        commit.add(effects: [Sample.send("stale", session: stale)])
        await expectStoreError(.turnConflict) { try await store.commitTurn(commit) }
        #expect(try await store.outbox(OutboxFilter(tenant: Sample.tenant)).count == 16)
        #expect(try await store.pendingInboxCount() == 1)
    }

    @Test("migration 3 turns a version-2 database's jsonb session documents into text, and every session reads back the same")
    func sessionStateAsText() async throws {
        // A database as versions 1 and 2 left it, with a session stored as jsonb.
        let store = try await storeAtVersion(2)
        defer { Task { try? await store.shutdown() } }
        let state = Sample.session(1)
        let document = try StoreJSON.encode(state, what: "session")
        try await store.rows("""
            INSERT INTO sessions (tenant, id, lane, subscriber_id, flow_version, status, turn, wait_token, opted_out, human_active,
                                  attribution, referral_raw, state, created_at, updated_at)
            VALUES (\(Sample.tenant), \(state.id), 'hash-1', 'sub-1', 'v1abc', 'waiting', \(Int64(state.turn)), 0, false, false,
                    \(#"{"ctwa_clid":"clid-1","ad_id":"42"}"#)::jsonb, \(state.referralRaw), \(document)::jsonb, 0, 0)
            """)
        #expect(try await store.rows("SELECT pg_typeof(state)::text FROM sessions").first?.decode(String.self) == "jsonb")

        #expect(try await store.migrate() == PostgresSchema.migrations.map(\.version).filter { $0 >= 3 })
        #expect(try await store.schemaVersion() == PostgresSchema.migrations.map(\.version).max())
        #expect(try await store.rows("SELECT pg_typeof(state)::text FROM sessions").first?.decode(String.self) == "text")
        #expect(try await store.session(tenant: Sample.tenant, id: state.id) == state)
        // And the next turn writes it as text.
        _ = try await store.appendInbox(Sample.item(1, id: "after-upgrade"))
        let claim = try #require(try await store.claimLanes(owner: "W", limit: 1, perLane: 1, now: 10, leaseMillis: 10_000).first)
        var next = state
        next.turn += 1
        next.step = "q3"
        _ = try await store.commitTurn(TurnCommit(tenant: Sample.tenant, lane: claim.lane, owner: "W", now: 20, consumed: claim.entries.map(\.seq),
                                                  session: next, expectedTurn: state.turn, releaseLane: true))
        #expect(try await store.session(tenant: Sample.tenant, id: state.id) == next)
    }

    @Test("migrations 4 and 5 turn a version-3 database's queued jsonb documents into text and its outbox index partial: queued work reads back the same")
    func queueDocumentsAsText() async throws {
        let store = try await storeAtVersion(3)
        defer { Task { try? await store.shutdown() } }
        // What a version-3 store left queued: an inbound entry, an undelivered send, a pending nudge.
        let state = Sample.session(1)
        let item = Sample.item(1, id: "queued-1"), effect = Sample.send("m-1", session: state), timer = Sample.timer(state, due: 5_000)
        let event = try StoreJSON.encode(item.event, what: "event"), effectJSON = try StoreJSON.encode(effect, what: "effect")
        let spec = try StoreJSON.encode(timer, what: "timer"), fired = try StoreJSON.encode(EngineEvent.timer(TimerFired(timer)), what: "fired")
        try await store.rows("""
            INSERT INTO inbox (tenant, lane, dedupe_key, kind, event, received_at, status)
            VALUES (\(Sample.tenant), 'hash-1', 'queued-1', 'message', \(event)::jsonb, 1000, 'pending')
            """)
        try await store.rows("""
            INSERT INTO outbox (tenant, key, destination, session_id, lane, effect, available_at, status, attempts, next_attempt_at, created_at)
            VALUES (\(Sample.tenant), 'm-1', 'channel', \(state.id), 'hash-1', \(effectJSON)::jsonb, 0, 'pending', 0, 0, 0)
            """)
        try await store.rows("""
            INSERT INTO timers (tenant, id, lane, session_id, due_at, spec, dedupe_key, event)
            VALUES (\(Sample.tenant), \(timer.id), 'hash-1', \(state.id), 5000, \(spec)::jsonb, 'nudge-1', \(fired)::jsonb)
            """)

        #expect(try await store.migrate() == PostgresSchema.migrations.map(\.version).filter { $0 >= 4 })
        // Migration 5: the outbox's claim index holds pending rows only, and dead rows have their own.
        let indexes = try await store.rows("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'outbox' ORDER BY indexname")
            .map { try $0.decode((String, String).self) }
        #expect(indexes.first { $0.0 == "outbox_due" }?.1.hasSuffix("(next_attempt_at, id) WHERE (status = 'pending'::text)") == true, "\(indexes)")
        #expect(indexes.first { $0.0 == "outbox_dead" }?.1.hasSuffix("(id) WHERE (status = 'dead'::text)") == true, "\(indexes)")
        let types = try await store.rows("""
            SELECT (SELECT pg_typeof(event)::text FROM inbox), (SELECT pg_typeof(effect)::text FROM outbox),
                   (SELECT pg_typeof(spec)::text || ',' || pg_typeof(event)::text FROM timers)
            """).first.map { try $0.decode((String, String, String).self) }
        #expect(types.map { "\($0.0) \($0.1) \($0.2)" } == "text text text,text")
        // Each reads back as it was queued, and the nudge still fires into the inbox.
        let claim = try #require(try await store.claimLanes(owner: "W", limit: 1, perLane: 10, now: 10, leaseMillis: 10_000).first)
        #expect(claim.entries.map(\.item.event) == [item.event])
        #expect(try await store.claimOutbox(owner: "D", limit: 10, now: 10, leaseMillis: 10_000).map(\.item.effect) == [effect])
        #expect(try await store.pendingTimers(tenant: Sample.tenant, sessionID: state.id).map(\.timer) == [timer])
        #expect(try await store.promoteDueTimers(now: 6_000, limit: 10) == 1)
        let timerEvent = try await store.rows("SELECT event FROM inbox WHERE dedupe_key = 'nudge-1'").first?.decode(String.self)
        #expect(try timerEvent.map { try StoreJSON.decode(EngineEvent.self, from: $0, table: "inbox", key: "nudge-1") } == .timer(TimerFired(timer)))
    }

    @Test("turn commits marking messages replied and batches of delivery records for the same messages never deadlock")
    func repliedAndDeliveriesTakeLocksInOneOrder() async throws {
        let store = try await freshStore(connections: 8)
        defer { Task { try? await store.shutdown() } }
        let sessions = 40
        var states: [String: SessionState] = [:]   // by lane
        var lastSent: [String: String] = [:]        // by lane
        // Each session's first turn sends one message.
        for n in 1...sessions { _ = try await store.appendInbox(Sample.item(n, id: "r0-\(n)")) }
        var commits: [TurnCommit] = []
        for claim in try await store.claimLanes(owner: "W", limit: sessions, perLane: 1, now: 10, leaseMillis: 60_000) {
            let n = try #require(Int(claim.lane.dropFirst("hash-".count)))
            let state = Sample.session(n)
            var commit = TurnCommit(tenant: Sample.tenant, lane: claim.lane, owner: "W", now: 20, consumed: claim.entries.map(\.seq),
                                    session: state, releaseLane: true)
            commit.add(effects: [Sample.send("s\(n)-m0", session: state)])
            commits.append(commit)
            states[claim.lane] = state
            lastSent[claim.lane] = "s\(n)-m0"
        }
        for result in await store.commitTurns(commits) { _ = try result.get() }
        try #require(states.count == sessions)

        // Rounds of: every lead answers (one shared commit marks each last message replied and sends
        // the next) while the dispatcher's `sent` and the provider's `delivered` for those same
        // messages arrive, in shuffled order, batched by the store.
        for round in 1...10 {
            for n in 1...sessions { _ = try await store.appendInbox(Sample.item(n, id: "r\(round)-\(n)")) }
            let claims = try await store.claimLanes(owner: "W", limit: sessions, perLane: 1, now: 100 * Int64(round), leaseMillis: 60_000)
            try #require(claims.count == sessions)
            var answers: [TurnCommit] = []
            var replied: [String] = []
            for claim in claims {
                let previous = try #require(states[claim.lane])
                var next = previous
                next.turn += 1
                let n = try #require(Int(claim.lane.dropFirst("hash-".count)))
                let sent = try #require(lastSent[claim.lane])
                var commit = TurnCommit(tenant: Sample.tenant, lane: claim.lane, owner: "W", now: 100 * Int64(round) + 50,
                                        consumed: claim.entries.map(\.seq), session: next, expectedTurn: previous.turn,
                                        replied: [sent], releaseLane: true)
                commit.add(effects: [Sample.send("s\(n)-m\(round)", session: next)])
                answers.append(commit)
                replied.append(sent)
                states[claim.lane] = next
                lastSent[claim.lane] = "s\(n)-m\(round)"
            }
            let statuses = (replied.map { ($0, "sent") } + replied.map { ($0, "delivered") }).shuffled()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (id, state) in statuses {
                    group.addTask {
                        try await store.recordDelivery(tenant: Sample.tenant, messageID: id, providerMessageID: nil, state: state, at: 100 * Int64(round) + 60)
                    }
                }
                // Four shared commits at once, each marking its messages in its own (claim) order.
                for part in 0..<4 {
                    let batch = answers.enumerated().filter { $0.offset % 4 == part }.map(\.element)
                    group.addTask {
                        for result in await store.commitTurns(batch) { _ = try result.get() }
                    }
                }
                try await group.waitForAll()
            }
            for id in replied {
                #expect(try await store.messageLog(tenant: Sample.tenant, messageID: id)?.state == "replied", "\(id), round \(round)")
            }
        }
        // A deadlock aborts one side: a shared turn commit would have been retried turn by turn, a
        // batch of delivery records record by record.
        #expect(store.batchStatistics.alone == 0, "turn commits retried alone: \(store.batchStatistics)")
        #expect(store.deliveryRecordsAlone == 0, "delivery records retried alone: \(store.deliveryRecordsAlone)")
    }
}
