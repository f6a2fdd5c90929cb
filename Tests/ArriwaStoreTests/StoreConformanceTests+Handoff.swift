import ArriwaCore
import ArriwaStore
import Foundation
import Testing

/// Outbox rows a turn commit inserts already leased to a dispatcher (`TurnCommit.outboxLease`).
extension StoreConformanceTests {
    @Test("a commit's due outbox rows can be inserted leased: returned with their ids, not claimable before the lease ends, completed by its owner, in doubt if never completed",
          arguments: StoreFixture.allCases)
    func outboxLeasedByTheCommit(_ fixture: StoreFixture) async throws {
        let store = try await fixture.make()
        defer { Task { try? await store.shutdown() } }
        _ = try await store.appendInbox(Sample.item(1, id: "m1"))
        let claim = try #require(try await store.claimLanes(owner: "W", limit: 1, perLane: 1, now: 0, leaseMillis: 10_000).first)
        let s = Sample.session(1)
        var commit = TurnCommit(tenant: Sample.tenant, lane: claim.lane, owner: "W", now: 1, consumed: [claim.entries[0].seq], session: s,
                                outboxLease: OutboxLease(owner: "D1", until: 5_000))
        commit.add(effects: [Sample.send("msg-1", session: s), Sample.emit("evt-1", session: s, sinks: ["capi", "crm"])])
        // A row not due yet is inserted unleased.
        commit.outbox.append(OutboxItem(tenant: Sample.tenant, key: "later-1", destination: "crm", sessionID: s.id, lane: claim.lane,
                                        effect: Sample.send("later-1", session: s), availableAt: 9_000))
        let result = try await store.commitTurn(commit)

        #expect(result.duplicateOutboxKeys.isEmpty)
        #expect(result.leased.map { "\($0.item.destination)/\($0.item.key)" } == ["channel/msg-1", "capi/evt-1", "crm/evt-1"])
        #expect(result.leased.allSatisfy { $0.attempts == 1 && $0.nextAttemptAt == 5_000 && $0.status == .pending && !$0.inDoubt && !$0.isRedelivery })
        #expect(Set(result.leased.map(\.id)).count == 3)
        // The records are the stored rows.
        let stored = try await store.outbox(OutboxFilter(tenant: Sample.tenant))
        for record in result.leased {
            let row = try #require(stored.first { $0.id == record.id })
            #expect(row.item == record.item && row.attempts == 1 && row.nextAttemptAt == 5_000)
        }
        #expect(try await store.outboxBacklog() == 4, "leased rows are still the backlog")
        #expect(try await store.claimOutbox(owner: "D2", limit: 10, now: 4_999, leaseMillis: 1_000).isEmpty, "leased rows are nobody else's")

        // The lease's owner completes them like claimed rows; another owner cannot.
        try await store.completeOutbox(id: result.leased[0].id, owner: "D1", outcome: .delivered(remoteID: "wamid.1"), now: 10)
        try await store.completeOutbox(id: result.leased[1].id, owner: "D2", outcome: .delivered(remoteID: nil), now: 10)
        #expect(try await store.outbox(OutboxFilter(status: .delivered)).map(\.item.key) == ["msg-1"])

        // D1 died with two rows undelivered: after the lease they are claimed again, in doubt.
        let again = try await store.claimOutbox(owner: "D3", limit: 10, now: 5_000, leaseMillis: 1_000)
        #expect(again.map { "\($0.item.destination)/\($0.item.key)" } == ["capi/evt-1", "crm/evt-1"])
        #expect(again.allSatisfy { $0.inDoubt && $0.attempts == 2 && $0.isRedelivery })
        for row in again { try await store.completeOutbox(id: row.id, owner: "D3", outcome: .delivered(remoteID: nil), now: 5_010) }
        // The row due later is claimed when due, as any row.
        let later = try await store.claimOutbox(owner: "D3", limit: 10, now: 9_000, leaseMillis: 1_000)
        #expect(later.map(\.item.key) == ["later-1"])
        #expect(later.allSatisfy { !$0.inDoubt && $0.attempts == 1 })
    }

    @Test("commits of a batch get the leased rows each stored; a duplicate key is reported, not leased", arguments: StoreFixture.allCases)
    func outboxLeasedInABatch(_ fixture: StoreFixture) async throws {
        let store = try await fixture.make()
        defer { Task { try? await store.shutdown() } }
        _ = try await store.appendInbox(Sample.item(1, id: "m1"))
        _ = try await store.appendInbox(Sample.item(2, id: "m2"))
        let claims = try await store.claimLanes(owner: "W", limit: 2, perLane: 1, now: 0, leaseMillis: 10_000)
        #expect(claims.count == 2)
        let lease = OutboxLease(owner: "D1", until: 5_000)
        let commits = claims.enumerated().map { n, claim in
            let s = Sample.session(n + 1)
            var commit = TurnCommit(tenant: Sample.tenant, lane: claim.lane, owner: "W", now: 1, consumed: [claim.entries[0].seq],
                                    session: s, releaseLane: true, outboxLease: lease)
            // Both send "shared-1": the first commit stores it, the second's is a duplicate.
            commit.add(effects: [Sample.send("own-\(n)", session: s), Sample.send("shared-1", session: s)])
            return commit
        }
        let results = try await store.commitTurns(commits).map { try $0.get() }
        #expect(results.map { $0.leased.map(\.item.key) } == [["own-0", "shared-1"], ["own-1"]])
        #expect(results.map(\.duplicateOutboxKeys) == [[], ["channel/shared-1"]])
        #expect(results[1].leased.first?.item.sessionID == commits[1].session?.id)
        let stored = try await store.outbox(OutboxFilter(tenant: Sample.tenant))
        #expect(Set(stored.map(\.id)) == Set(results.flatMap(\.leased).map(\.id)))
        #expect(try await store.claimOutbox(owner: "D2", limit: 10, now: 100, leaseMillis: 1_000).isEmpty)
    }
}
