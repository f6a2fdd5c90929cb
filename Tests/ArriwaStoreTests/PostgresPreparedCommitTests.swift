import ArriwaCore
@testable import ArriwaStore
import ArriwaTestSupport
import Foundation
import Testing

/// PostgreSQL commits turns through one prepared statement (`BatchTurnStatement`), prepared once
/// per connection and planned at every execution.
@Suite("PostgreSQL prepared turn commits")
struct PostgresPreparedCommitTests {
    /// A store on a fresh database with a single pooled connection, so every statement runs on it.
    private func oneConnectionStore() async throws -> PostgresStore {
        let admin = try await PostgresTestServer.adminURL()
        let name = PostgresTestServer.freshDatabaseName()
        try await PostgresAdmin.createDatabase(name, adminURL: admin, logger: StoreFixture.logger)
        let configuration = PostgresStore.Configuration(maximumConnections: 1, afterShutdown: {
            try? await PostgresAdmin.dropDatabase(name, adminURL: admin, logger: StoreFixture.logger)
        })
        let store = try await PostgresStore.open(url: try PostgresAdmin.url(admin, database: name), configuration: configuration,
                                                 logger: StoreFixture.logger)
        _ = try await store.migrate()
        return store
    }

    @Test("the store's connections plan every execution of a prepared statement")
    func customPlans() async throws {
        let store = try await oneConnectionStore()
        defer { Task { try? await store.shutdown() } }
        let rows = try await store.rows("SHOW plan_cache_mode")
        #expect(try rows.first?.decode(String.self) == "force_custom_plan")
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
}
