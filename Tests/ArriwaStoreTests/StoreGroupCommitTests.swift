import ArriwaCore
import ArriwaStore
import Foundation
import Testing

/// Concurrent writes are grouped into one transaction where the store can (SQLite's group
/// commit; see SQLiteStore.transaction): each caller must still see exactly its own result, and
/// one failing member must not take the others down or half-apply itself.
@Suite("Store group commit")
struct StoreGroupCommitTests {
    @Test("concurrent commits, a third without the lease: those fail alone, the rest apply", arguments: StoreFixture.allCases)
    func concurrentCommitsWithFailures(_ fixture: StoreFixture) async throws {
        let store = try await fixture.make()
        defer { Task { try? await store.shutdown() } }
        let lanes = 30
        for n in 0..<lanes { _ = try await store.appendInbox(Sample.item(n, id: "m\(n)")) }
        let claims = try await store.claimLanes(owner: "W", limit: lanes, perLane: 1, now: 100, leaseMillis: 60_000)
        #expect(claims.count == lanes)
        let outcomes = try await withThrowingTaskGroup(of: (String, StoreError.Code?).self) { group in
            for claim in claims {
                let n = Int(claim.lane.dropFirst("hash-".count)) ?? -1
                group.addTask {
                    var state = Sample.session(n)
                    state.id = "session-\(n)"
                    var commit = TurnCommit(tenant: Sample.tenant, lane: claim.lane, owner: n % 3 == 0 ? "intruder" : "W", now: 200,
                                            consumed: claim.entries.map(\.seq), session: state, releaseLane: true)
                    commit.add(effects: [Sample.send("msg-\(n)", session: state)])
                    do {
                        _ = try await store.commitTurn(commit)
                        return (claim.lane, nil)
                    } catch let error as StoreError {
                        return (claim.lane, error.code)
                    }
                }
            }
            var all: [String: StoreError.Code?] = [:]
            for try await (lane, code) in group { all[lane] = code }
            return all
        }
        for n in 0..<lanes {
            let lane = "hash-\(n)"
            let stored = try await store.session(tenant: Sample.tenant, id: "session-\(n)")
            if n % 3 == 0 {
                #expect(outcomes[lane] == .some(.leaseLost), "lane \(lane)")
                #expect(stored == nil, "a refused commit left its session behind (\(lane))")
            } else {
                #expect(outcomes[lane] == .some(nil), "lane \(lane)")
                #expect(stored?.id == "session-\(n)")
            }
        }
        #expect(try await store.pendingInboxCount() == lanes / 3)
        #expect(try await store.outbox(OutboxFilter(tenant: Sample.tenant)).count == lanes - lanes / 3)
    }

    @Test("concurrent appends of the same ids: each id stored once, every caller told which", arguments: StoreFixture.allCases)
    func concurrentAppendsDedupe(_ fixture: StoreFixture) async throws {
        let store = try await fixture.make()
        defer { Task { try? await store.shutdown() } }
        let results = try await withThrowingTaskGroup(of: InboxAppendResult.self) { group in
            for i in 0..<80 {
                group.addTask { try await store.appendInbox(Sample.item(i % 20, id: "wamid.\(i % 20)")) }
            }
            var all: [InboxAppendResult] = []
            for try await result in group { all.append(result) }
            return all
        }
        let seqs = results.compactMap { result -> Int64? in
            if case .appended(let seq) = result { return seq }
            return nil
        }
        #expect(seqs.count == 20)
        #expect(Set(seqs).count == 20)
        #expect(results.filter { $0 == .duplicate }.count == 60)
        #expect(try await store.pendingInboxCount() == 20)
    }
}

extension StoreGroupCommitTests {
    @Test("concurrent outbox completions of every kind each land on their own row", arguments: StoreFixture.allCases)
    func concurrentCompletions(_ fixture: StoreFixture) async throws {
        let store = try await fixture.make()
        defer { Task { try? await store.shutdown() } }
        _ = try await store.appendInbox(Sample.item(1, id: "m1"))
        let claim = try #require(try await store.claimLanes(owner: "W", limit: 1, perLane: 1, now: 100, leaseMillis: 60_000).first)
        let state = Sample.session(1)
        var commit = TurnCommit(tenant: Sample.tenant, lane: claim.lane, owner: "W", now: 200, consumed: claim.entries.map(\.seq),
                                session: state, releaseLane: true)
        commit.add(effects: (0..<30).map { Sample.send("msg-\($0)", session: state) })
        _ = try await store.commitTurn(commit)
        let rows = try await store.claimOutbox(owner: "D", limit: 100, now: 300, leaseMillis: 60_000)
        #expect(rows.count == 30)
        func outcome(_ index: Int) -> OutboxOutcome {
            switch index % 3 {
            case 0: .delivered(remoteID: index % 2 == 0 ? "wamid.\(index)" : nil)
            case 1: .retry(at: 10_000 + Int64(index), error: "HTTP 503 #\(index)")
            default: .dead(error: "HTTP 400 #\(index)")
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, row) in rows.enumerated() {
                // Every fifth under a stranger's name: it must not change the row.
                let owner = index % 5 == 4 ? "stranger" : "D"
                group.addTask { try await store.completeOutbox(id: row.id, owner: owner, outcome: outcome(index), now: 400) }
            }
            try await group.waitForAll()
        }
        let after = Dictionary(uniqueKeysWithValues: try await store.outbox(OutboxFilter(tenant: Sample.tenant, limit: 100)).map { ($0.id, $0) })
        for (index, row) in rows.enumerated() {
            let stored = try #require(after[row.id])
            if index % 5 == 4 {
                #expect(stored.status == .pending && stored.lastError == nil && stored.deliveredAt == nil, "row \(index) changed by a stranger")
                continue
            }
            switch outcome(index) {
            case .delivered(let remoteID):
                #expect(stored.status == .delivered && stored.remoteID == remoteID && stored.deliveredAt == 400, "row \(index)")
            case .retry(let at, let error):
                #expect(stored.status == .pending && stored.nextAttemptAt == at && stored.lastError == error, "row \(index)")
            case .dead(let error):
                #expect(stored.status == .dead && stored.lastError == error, "row \(index)")
            }
        }
    }
}

extension StoreGroupCommitTests {
    @Test("a free lane behind more than a claim window of entries in a leased lane is still claimed", arguments: StoreFixture.allCases)
    func claimLooksPastTheWindow(_ fixture: StoreFixture) async throws {
        let store = try await fixture.make()
        defer { Task { try? await store.shutdown() } }
        // 1,100 entries of one lead (a burst), then one of another lead.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for k in 0..<1_100 { group.addTask { _ = try await store.appendInbox(Sample.item(1, id: "burst-\(k)")) } }
            try await group.waitForAll()
        }
        _ = try await store.appendInbox(Sample.item(2, id: "other"))
        let first = try await store.claimLanes(owner: "A", limit: 1, perLane: 1, now: 100, leaseMillis: 60_000)
        #expect(first.map(\.lane) == ["hash-1"])
        // Every entry among the oldest 1,000 belongs to A's lane: B must look further.
        let second = try await store.claimLanes(owner: "B", limit: 1, perLane: 1, now: 100, leaseMillis: 60_000)
        #expect(second.map(\.lane) == ["hash-2"])
        #expect(second.first?.entries.map(\.item.dedupeKey) == ["other"])
    }
}
