import ArriwaCore
import ArriwaStore
import ArriwaTestSupport
import Foundation
import Testing

/// Several lanes' turns read and committed together (`laneStates`, `sessions`, `commitTurns`):
/// each turn must get exactly the answer and the effect `commitTurn` would have given it.
@Suite("Store batched turns")
struct StoreBatchTests {
    /// Three lanes, one pending entry each, claimed by "W".
    private func threeLanes(_ store: any Store) async throws -> [LaneClaim] {
        for n in 1...3 { _ = try await store.appendInbox(Sample.item(n, id: "m\(n)")) }
        let claims = try await store.claimLanes(owner: "W", limit: 3, perLane: 5, now: 100, leaseMillis: 10_000)
        try #require(claims.count == 3)
        return claims.sorted { $0.lane < $1.lane }
    }

    private func newSession(_ n: Int, claim: LaneClaim, sends: [String], release: Bool = true) -> TurnCommit {
        let state = Sample.session(n)
        var commit = TurnCommit(tenant: Sample.tenant, lane: claim.lane, owner: "W", now: 200 + Int64(n), consumed: claim.entries.map(\.seq),
                                session: state, subscriber: SubscriberRecord(tenant: Sample.tenant, lane: claim.lane, subscriberID: "sub-\(n)",
                                                                             phoneHash: "hash-\(n)", phoneEncrypted: Data([UInt8(n)]), createdAt: 200),
                                releaseLane: release)
        commit.add(effects: sends.map { Sample.send($0, session: state) } + [.schedule(Sample.timer(state, due: 60_000 + Int64(n)))])
        return commit
    }

    @Test("a batch of new sessions commits everything each turn wrote and releases the lanes", arguments: StoreFixture.allCases)
    func batchCommits(_ fixture: StoreFixture) async throws {
        let store = try await fixture.make()
        defer { Task { try? await store.shutdown() } }
        let claims = try await threeLanes(store)
        var commits = (1...3).map { newSession($0, claim: claims[$0 - 1], sends: ["msg-\($0)"]) }
        commits[1].add(effects: [.audit(AuditRecord(type: "keyword_interrupt", sessionID: Sample.session(2).id, detail: "pause", at: 202)),
                                 Sample.emit("evt-2", session: Sample.session(2))])
        let results = await store.commitTurns(commits)
        #expect(results.count == 3)
        for result in results { #expect(try result.get().duplicateOutboxKeys.isEmpty) }
        // The SQL stores committed the three in one shared transaction (not one by one).
        #expect(await fixture.statistics(store) == (fixture == .memory ? nil : BatchCommitStatistics(shared: 3, alone: 0)))

        for n in 1...3 {
            let state = Sample.session(n)
            #expect(try await store.session(tenant: Sample.tenant, id: state.id) == state)
            #expect(try await store.subscriber(tenant: Sample.tenant, lane: "hash-\(n)")?.phoneEncrypted == Data([UInt8(n)]))
            #expect(try await store.pendingTimers(tenant: Sample.tenant, sessionID: state.id).map(\.timer.dueAt) == [60_000 + Int64(n)])
            #expect(try await store.messageLog(tenant: Sample.tenant, messageID: "msg-\(n)")?.sessionID == state.id)
        }
        #expect(try await store.pendingInboxCount() == 0)
        let stored = try await store.outbox(OutboxFilter(tenant: Sample.tenant)).map(\.item)
        #expect(stored.count == commits.flatMap(\.outbox).count)
        for item in commits.flatMap(\.outbox) { #expect(stored.contains(item)) }
        #expect(try await store.auditLog(tenant: Sample.tenant, sessionID: Sample.session(2).id, limit: 10).map(\.type) == ["keyword_interrupt"])
        #expect(try await store.eventLog(tenant: Sample.tenant, sessionID: nil, limit: 10).map(\.key) == ["evt-2"])
        // Every lane was released with its commit: another owner can claim all three at once.
        for n in 1...3 { _ = try await store.appendInbox(Sample.item(n, id: "again-\(n)")) }
        #expect(try await store.claimLanes(owner: "X", limit: 5, perLane: 1, now: 300, leaseMillis: 1_000).count == 3)
    }

    @Test("one conflicting turn in a batch fails alone; the others commit as if alone", arguments: StoreFixture.allCases)
    func conflictFallsBack(_ fixture: StoreFixture) async throws {
        let store = try await fixture.make()
        defer { Task { try? await store.shutdown() } }
        let claims = try await threeLanes(store)
        var commits = (1...3).map { newSession($0, claim: claims[$0 - 1], sends: ["msg-\($0)"]) }
        commits[1].expectedTurn = 4 // the session does not exist: a stale executor
        var stranger = commits[2]
        stranger.owner = "someone-else"
        commits[2] = stranger
        let results = await store.commitTurns(commits)
        #expect(try results[0].get().duplicateOutboxKeys.isEmpty)
        #expect((results[1].failureError as? StoreError)?.code == .turnConflict)
        #expect((results[2].failureError as? StoreError)?.code == .leaseLost)
        #expect(await fixture.statistics(store) == (fixture == .memory ? nil : BatchCommitStatistics(shared: 0, alone: 3)))
        #expect(try await store.session(tenant: Sample.tenant, id: Sample.session(1).id) != nil)
        #expect(try await store.session(tenant: Sample.tenant, id: Sample.session(2).id) == nil)
        #expect(try await store.session(tenant: Sample.tenant, id: Sample.session(3).id) == nil)
        #expect(try await store.outbox(OutboxFilter()).map(\.item.key) == ["msg-1"])
        #expect(try await store.pendingTimers(tenant: Sample.tenant, sessionID: Sample.session(2).id).isEmpty)
        #expect(try await store.pendingInboxCount() == 2)
    }

    @Test("an outbox key repeated across a batch is stored for the first turn and reported for the later one", arguments: StoreFixture.allCases)
    func duplicatesAcrossTurns(_ fixture: StoreFixture) async throws {
        let store = try await fixture.make()
        defer { Task { try? await store.shutdown() } }
        let claims = try await threeLanes(store)
        let commits = [newSession(1, claim: claims[0], sends: ["same"]), newSession(2, claim: claims[1], sends: ["same", "own-2"])]
        let results = await store.commitTurns(commits)
        #expect(try results[0].get().duplicateOutboxKeys.isEmpty)
        #expect(try results[1].get().duplicateOutboxKeys == ["channel/same"])
        #expect(await fixture.statistics(store)?.alone ?? 0 == 0)
        #expect(try await store.outbox(OutboxFilter()).map(\.item.key).sorted() == ["own-2", "same"])
        #expect(try await store.outbox(OutboxFilter()).first { $0.item.key == "same" }?.item.sessionID == Sample.session(1).id)
    }

    @Test("updates at the expected turn keep the stored attribution; a lane kept leased stays leased", arguments: StoreFixture.allCases)
    func updatesInBatch(_ fixture: StoreFixture) async throws {
        let store = try await fixture.make()
        defer { Task { try? await store.shutdown() } }
        let claims = try await threeLanes(store)
        _ = await store.commitTurns((1...2).map { newSession($0, claim: claims[$0 - 1], sends: ["msg-\($0)"]) })
        for n in 1...2 { _ = try await store.appendInbox(Sample.item(n, id: "next-\(n)")) }
        let again = try await store.claimLanes(owner: "W", limit: 5, perLane: 5, now: 1_000, leaseMillis: 10_000).sorted { $0.lane < $1.lane }
        try #require(again.count == 2)
        let updates = (1...2).map { n -> TurnCommit in
            var state = Sample.session(n, turn: 2, attribution: ["ctwa_clid": "overwritten"])
            state.step = "q3"
            state.timers = [:]
            var commit = TurnCommit(tenant: Sample.tenant, lane: again[n - 1].lane, owner: "W", now: 1_100, consumed: again[n - 1].entries.map(\.seq),
                                    session: state, expectedTurn: 1, releaseLane: n == 1)
            commit.add(effects: [.cancel(timerID: Sample.timer(Sample.session(n), due: 60_000 + Int64(n)).id)])
            return commit
        }
        let results = await store.commitTurns(updates)
        for result in results { _ = try result.get() }
        #expect(await fixture.statistics(store) == (fixture == .memory ? nil : BatchCommitStatistics(shared: 4, alone: 0)))
        let lanes = try await store.laneStates((1...2).map { LaneRef(tenant: Sample.tenant, lane: "hash-\($0)") })
        let byID = try await store.sessions((1...2).map { SessionRef(tenant: Sample.tenant, id: Sample.session($0).id) })
        for n in 1...2 {
            let stored = try #require(try await store.session(tenant: Sample.tenant, id: Sample.session(n).id))
            #expect(stored.turn == 2 && stored.step == "q3")
            #expect(stored.attribution == Sample.session(n).attribution)
            #expect(try await store.pendingTimers(tenant: Sample.tenant, sessionID: stored.id).isEmpty)
            // The batched reads (which may answer from decoded states the store keeps) agree.
            #expect(lanes[LaneRef(tenant: Sample.tenant, lane: "hash-\(n)")]?.session == stored)
            #expect(byID[SessionRef(tenant: Sample.tenant, id: stored.id)] == stored)
        }
        // Lane 1 was released, lane 2 is still W's.
        for n in 1...2 { _ = try await store.appendInbox(Sample.item(n, id: "third-\(n)")) }
        let other = try await store.claimLanes(owner: "X", limit: 5, perLane: 1, now: 1_200, leaseMillis: 1_000)
        #expect(other.map(\.lane) == ["hash-1"])
    }

    @Test("an inbound turn marks the message it answers replied, alone or batched; later statuses do not move it back",
          arguments: StoreFixture.allCases)
    func repliedMessages(_ fixture: StoreFixture) async throws {
        let store = try await fixture.make()
        defer { Task { try? await store.shutdown() } }
        let claims = try await threeLanes(store)
        _ = await store.commitTurns((1...3).map { newSession($0, claim: claims[$0 - 1], sends: ["q-\($0)"]) })
        try await store.recordDelivery(tenant: Sample.tenant, messageID: "q-1", providerMessageID: "wamid.1", state: "read", at: 300)
        try await store.recordDelivery(tenant: Sample.tenant, messageID: "q-2", providerMessageID: "wamid.2", state: "delivered", at: 300)
        for n in 1...3 { _ = try await store.appendInbox(Sample.item(n, id: "answer-\(n)")) }
        let again = try await store.claimLanes(owner: "W", limit: 5, perLane: 1, now: 400, leaseMillis: 10_000).sorted { $0.lane < $1.lane }
        try #require(again.count == 3)
        func answer(_ n: Int) -> TurnCommit {
            var state = Sample.session(n, turn: 2)
            state.step = "q3"
            return TurnCommit(tenant: Sample.tenant, lane: again[n - 1].lane, owner: "W", now: 500, consumed: again[n - 1].entries.map(\.seq),
                              session: state, expectedTurn: 1, replied: ["q-\(n)"], releaseLane: true)
        }
        _ = try await store.commitTurn(answer(1))
        for result in await store.commitTurns([answer(2), answer(3)]) { _ = try result.get() }
        for n in 1...3 {
            let record = try #require(try await store.messageLog(tenant: Sample.tenant, messageID: "q-\(n)"))
            #expect(record.state == "replied" && record.updatedAt == 500, "q-\(n): \(record.state)")
        }
        // A late read status after the reply changes nothing.
        try await store.recordDelivery(tenant: Sample.tenant, messageID: "q-2", providerMessageID: nil, state: "read", at: 600)
        #expect(try await store.messageLog(tenant: Sample.tenant, messageID: "q-2")?.state == "replied")
    }

    @Test("lane states and sessions are read for many keys at once; unknown keys are absent", arguments: StoreFixture.allCases)
    func batchedReads(_ fixture: StoreFixture) async throws {
        let store = try await fixture.make()
        defer { Task { try? await store.shutdown() } }
        let claims = try await threeLanes(store)
        _ = await store.commitTurns((1...2).map { newSession($0, claim: claims[$0 - 1], sends: ["msg-\($0)"]) })
        let lanes = (1...3).map { LaneRef(tenant: Sample.tenant, lane: "hash-\($0)") } + [LaneRef(tenant: "other", lane: "hash-1")]
        let states = try await store.laneStates(lanes)
        #expect(states.count == 2)
        for n in 1...2 {
            let state = try #require(states[LaneRef(tenant: Sample.tenant, lane: "hash-\(n)")])
            #expect(state.subscriber?.subscriberID == "sub-\(n)")
            #expect(state.session == Sample.session(n))
        }
        let refs = (1...3).map { SessionRef(tenant: Sample.tenant, id: Sample.session($0).id) } + [SessionRef(tenant: "other", id: Sample.session(1).id)]
        let sessions = try await store.sessions(refs)
        #expect(sessions.count == 2)
        #expect(sessions[SessionRef(tenant: Sample.tenant, id: Sample.session(2).id)] == Sample.session(2))
    }
}

/// Two stores on one database (two processes): what one reads after the other committed is the
/// other's state, never a state the first one remembers from before.
@Suite("Sessions read by two processes")
struct TwoProcessReadTests {
    /// Two stores on one fresh database of the fixture's kind.
    static func pair(_ fixture: StoreFixture) async throws -> (any Store, any Store) {
        switch fixture {
        case .postgres:
            let admin = try await PostgresTestServer.adminURL()
            let name = PostgresTestServer.freshDatabaseName()
            try await PostgresAdmin.createDatabase(name, adminURL: admin, logger: StoreFixture.logger)
            let url = try PostgresAdmin.url(admin, database: name)
            let a = try await PostgresStore.open(url: url, configuration: .init(maximumConnections: 4), logger: StoreFixture.logger)
            _ = try await a.migrate()
            return (a, try await PostgresStore.open(url: url, configuration: .init(maximumConnections: 4), logger: StoreFixture.logger))
        default:
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("arriwa-two-\(UUID().uuidString)/store.db").path
            let a = try await SQLiteStore.open(path: path, logger: StoreFixture.logger)
            _ = try await a.migrate()
            return (a, try await SQLiteStore.open(path: path, logger: StoreFixture.logger))
        }
    }

    @Test(arguments: [StoreFixture.sqlite, .postgres])
    func aSessionAdvancedByAnotherProcessIsReadAsStored(_ fixture: StoreFixture) async throws {
        let (a, b) = try await Self.pair(fixture)
        defer { Task { try? await a.shutdown(); try? await b.shutdown() } }
        _ = try await a.appendInbox(Sample.item(1, id: "m1"))
        let claim = try #require(try await a.claimLanes(owner: "A", limit: 1, perLane: 1, now: 10, leaseMillis: 10_000).first)
        let first = Sample.session(1)
        _ = try await a.commitTurn(TurnCommit(tenant: Sample.tenant, lane: claim.lane, owner: "A", now: 20, consumed: claim.entries.map(\.seq),
                                              session: first, subscriber: SubscriberRecord(tenant: Sample.tenant, lane: claim.lane, subscriberID: "sub-1",
                                                                                           phoneHash: "hash-1", createdAt: 20), releaseLane: true))
        let lane = LaneRef(tenant: Sample.tenant, lane: "hash-1"), ref = SessionRef(tenant: Sample.tenant, id: first.id)
        #expect(try await a.laneStates([lane, LaneRef(tenant: Sample.tenant, lane: "none")])[lane]?.session == first)

        // Process B takes the next message and moves the session on.
        _ = try await b.appendInbox(Sample.item(1, id: "m2"))
        let next = try #require(try await b.claimLanes(owner: "B", limit: 1, perLane: 1, now: 30, leaseMillis: 10_000).first)
        var second = first
        second.turn = first.turn + 1
        second.step = "q3"
        second.answers["q2"] = "soon"
        _ = try await b.commitTurn(TurnCommit(tenant: Sample.tenant, lane: next.lane, owner: "B", now: 40, consumed: next.entries.map(\.seq),
                                              session: second, expectedTurn: first.turn, releaseLane: true))

        #expect(try await a.laneStates([lane, LaneRef(tenant: Sample.tenant, lane: "none")])[lane]?.session == second)
        #expect(try await a.laneState(tenant: Sample.tenant, lane: "hash-1").session == second)
        #expect(try await a.sessions([ref, SessionRef(tenant: Sample.tenant, id: "none")])[ref] == second)
    }
}

extension StoreFixture {
    /// The SQL stores' batched-commit statistics (the in-memory store commits one by one).
    func statistics(_ store: any Store) async -> BatchCommitStatistics? {
        if let store = store as? SQLiteStore { return await store.batchStatistics }
        if let store = store as? PostgresStore { return store.batchStatistics }
        return nil
    }
}

extension Result {
    var failureError: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
