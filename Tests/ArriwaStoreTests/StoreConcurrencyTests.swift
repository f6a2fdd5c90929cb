import ArriwaCore
import ArriwaStore
import Foundation
import Testing

/// Several workers racing over one store: every entry is applied exactly once, in order per
/// lane, and no lane is ever worked on by two workers at the same time.
@Suite("Store concurrency")
struct StoreConcurrencyTests {
    /// Records which worker is inside which lane; a second one entering is a violation.
    actor LaneMonitor {
        private var inside: [String: String] = [:]
        private(set) var violations: [String] = []
        private(set) var applied: [String: [String]] = [:]

        func enter(_ lane: String, _ worker: String) {
            if let other = inside[lane] { violations.append("\(worker) entered \(lane) while \(other) was in it") }
            inside[lane] = worker
        }

        func leave(_ lane: String, applied keys: [String]) {
            inside[lane] = nil
            self.applied[lane, default: []] += keys
        }
    }

    @Test("4 workers, 40 lanes × 10 entries: each applied once, in order, one worker per lane", arguments: StoreFixture.allCases)
    func workersShareLanes(_ fixture: StoreFixture) async throws {
        let store = try await fixture.make()
        defer { Task { try? await store.shutdown() } }
        let lanes = 40, perLane = 10
        for i in 0..<perLane {
            for n in 0..<lanes { _ = try await store.appendInbox(Sample.item(n, id: "m-\(n)-\(i)")) }
        }
        let monitor = LaneMonitor()
        let clock = ContinuousClock()
        let start = clock.now
        func now() -> Int64 { Int64((clock.now - start) / .milliseconds(1)) }

        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<4 {
                group.addTask {
                    let owner = "worker-\(w)"
                    var idle = 0
                    while idle < 20 {
                        let claims = try await store.claimLanes(owner: owner, limit: 3, perLane: 4, now: now(), leaseMillis: 60_000)
                        if claims.isEmpty {
                            idle += 1
                            try await Task.sleep(for: .milliseconds(5))
                            continue
                        }
                        idle = 0
                        for claim in claims {
                            await monitor.enter(claim.lane, owner)
                            var keys: [String] = []
                            for (index, entry) in claim.entries.enumerated() {
                                guard case .inbound(let message) = entry.item.event else { continue }
                                let previous = try await store.latestSession(tenant: Sample.tenant, subscriberID: message.contact.subscriberID)
                                var state = previous ?? SessionState(id: "s-\(claim.lane)", contact: message.contact, tenant: Sample.tenant,
                                                                     flowVersion: "v1", language: "ru", entry: "direct", attribution: [:],
                                                                     referralRaw: nil, startedAt: 0)
                                state.turn += 1
                                state.answers["log", default: ""] += entry.item.dedupeKey + ","
                                var commit = TurnCommit(tenant: claim.tenant, lane: claim.lane, owner: owner, now: now(), consumed: [entry.seq],
                                                        session: state, expectedTurn: previous?.turn,
                                                        releaseLane: index == claim.entries.count - 1)
                                commit.add(effects: [Sample.send("out-\(entry.item.dedupeKey)", session: state)])
                                _ = try await store.commitTurn(commit)
                                keys.append(entry.item.dedupeKey)
                            }
                            await monitor.leave(claim.lane, applied: keys)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }

        #expect(await monitor.violations.isEmpty)
        #expect(try await store.pendingInboxCount() == 0)
        let applied = await monitor.applied
        for n in 0..<lanes {
            let expected = (0..<perLane).map { "m-\(n)-\($0)" }
            #expect(applied["hash-\(n)"] == expected, "lane hash-\(n) applied out of order or not exactly once")
            let state = try await store.session(tenant: Sample.tenant, id: "s-hash-\(n)")
            #expect(state?.answers["log"] == expected.joined(separator: ",") + ",")
            #expect(state?.turn == perLane)
        }
        #expect(try await store.outbox(OutboxFilter(limit: 10_000)).count == lanes * perLane)
    }
}
