import ArriwaCore
import Foundation
import Testing
@testable import ArriwaStore

/// The message log's delivery states follow the delivery state machine in every store (the SQL
/// stores apply `DeliveryState`, PostgreSQL as one SQL statement): statuses arriving out of order
/// never move a message back, read implies delivered, the failure track goes failed → retrying →
/// sent or escalated, escalated and replied are final.
@Suite struct DeliveryStateConformanceTests {
    /// Commits one turn that sends `ids` (message log rows in state `pending`) and returns the store.
    func storeWithMessages(_ fixture: StoreFixture, ids: [String]) async throws -> any Store {
        let store = try await fixture.make()
        _ = try await store.appendInbox(Sample.item(1, id: "in-1"))
        let claim = try #require(try await store.claimLanes(owner: "A", limit: 1, perLane: 1, now: 0, leaseMillis: 10_000).first)
        let session = Sample.session(1)
        var commit = TurnCommit(tenant: Sample.tenant, lane: claim.lane, owner: "A", now: 1, consumed: [claim.entries[0].seq],
                                session: session)
        commit.add(effects: ids.map { Sample.send($0, session: session) })
        _ = try await store.commitTurn(commit)
        return store
    }

    func logState(_ store: any Store, _ id: String) async throws -> (state: String, at: Int64)? {
        try await store.messageLog(tenant: Sample.tenant, messageID: id).map { ($0.state, $0.updatedAt) }
    }

    @Test("every (current, next) pair moves exactly as DeliveryState.accepts says", arguments: StoreFixture.allCases)
    func everyPair(_ fixture: StoreFixture) async throws {
        let states = DeliveryState.all
        let pairs = states.flatMap { current in states.map { (current, $0) } }
        let ids = pairs.map { "m-\($0.0)-\($0.1)" }
        let store = try await storeWithMessages(fixture, ids: ids)
        defer { Task { try? await store.shutdown() } }
        for ((current, next), id) in zip(pairs, ids) {
            // Every state is one accepted step from pending.
            try await store.recordDelivery(tenant: Sample.tenant, messageID: id, providerMessageID: nil, state: current, at: 10)
            try await store.recordDelivery(tenant: Sample.tenant, messageID: id, providerMessageID: nil, state: next, at: 20)
            let expected = DeliveryState.accepts(next, over: current) ? (next, Int64(20)) : (current, current == "pending" ? 1 : 10)
            let stored = try #require(try await logState(store, id))
            #expect(stored.state == expected.0 && stored.at == expected.1, "\(current) → \(next)")
        }
        // The rule itself: the success track and the failure track as the machine draws them.
        for (current, next) in [("pending", "sent"), ("sent", "delivered"), ("delivered", "read"), ("read", "replied"), ("sent", "read"),
                                ("pending", "failed"), ("sent", "failed"), ("failed", "retrying"), ("retrying", "sent"),
                                ("retrying", "failed"), ("retrying", "escalated"), ("pending", "retrying"), ("failed", "escalated")] {
            #expect(DeliveryState.accepts(next, over: current), "\(current) → \(next)")
        }
        for (current, next) in [("read", "delivered"), ("delivered", "sent"), ("replied", "read"), ("delivered", "failed"),
                                ("read", "escalated"), ("escalated", "sent"), ("escalated", "retrying"), ("sent", "retrying"),
                                ("sent", "pending"), ("pending", "lost"), ("read", "read")] {
            #expect(!DeliveryState.accepts(next, over: current), "\(current) → \(next)")
        }
    }

    @Test("a delivered send's completion records the message as sent with the provider's id, also when the row's lease was lost",
          arguments: StoreFixture.allCases)
    func completionRecordsTheSentMessage(_ fixture: StoreFixture) async throws {
        let store = try await storeWithMessages(fixture, ids: ["msg-1", "msg-2", "msg-3"])
        defer { Task { try? await store.shutdown() } }
        let rows = try await store.claimOutbox(owner: "D1", limit: 10, now: 10, leaseMillis: 1_000)
        try #require(rows.map(\.item.key) == ["msg-1", "msg-2", "msg-3"])

        // Concurrent completions (written in batches): two delivered sends, one retried.
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await store.completeOutbox(id: rows[0].id, owner: "D1", outcome: .delivered(remoteID: "wamid.1"), now: 20,
                                               sent: SentMessage(tenant: Sample.tenant, messageID: "msg-1", providerMessageID: "wamid.1", at: 20))
            }
            group.addTask {
                try await store.completeOutbox(id: rows[1].id, owner: "D1", outcome: .delivered(remoteID: nil), now: 21,
                                               sent: SentMessage(tenant: Sample.tenant, messageID: "msg-2", providerMessageID: nil, at: 21))
            }
            group.addTask {
                try await store.completeOutbox(id: rows[2].id, owner: "D1", outcome: .retry(at: 2_000, error: "HTTP 503"), now: 22)
            }
            try await group.waitForAll()
        }
        let first = try #require(try await store.messageLog(tenant: Sample.tenant, messageID: "wamid.1"))
        #expect(first.messageID == "msg-1" && first.state == "sent" && first.updatedAt == 20)
        let second = try #require(try await store.messageLog(tenant: Sample.tenant, messageID: "msg-2"))
        #expect(second.state == "sent" && second.providerMessageID == nil && second.updatedAt == 21)
        #expect(try await store.messageLog(tenant: Sample.tenant, messageID: "msg-3")?.state == "pending", "a retried row sent nothing")
        #expect(try await store.outboxCounts(tenant: Sample.tenant) == [.delivered: 2, .pending: 1])

        // msg-3's lease runs out and D2 takes it; D1's late success still records the message it
        // sent, but completes nothing (D2 owns the row now).
        let taken = try await store.claimOutbox(owner: "D2", limit: 10, now: 2_000, leaseMillis: 1_000)
        #expect(taken.map(\.item.key) == ["msg-3"])
        try await store.completeOutbox(id: rows[2].id, owner: "D1", outcome: .delivered(remoteID: "wamid.3"), now: 2_001,
                                       sent: SentMessage(tenant: Sample.tenant, messageID: "msg-3", providerMessageID: "wamid.3", at: 2_001))
        #expect(try await store.messageLog(tenant: Sample.tenant, messageID: "wamid.3")?.state == "sent")
        #expect(try await store.outboxCounts(tenant: Sample.tenant) == [.delivered: 2, .pending: 1])
        // A later status never moves back: `read` then a repeated `sent` completion keeps `read`.
        try await store.recordDelivery(tenant: Sample.tenant, messageID: "wamid.1", providerMessageID: nil, state: "read", at: 30)
        try await store.completeOutbox(id: rows[0].id, owner: "D1", outcome: .delivered(remoteID: "wamid.1"), now: 40,
                                       sent: SentMessage(tenant: Sample.tenant, messageID: "msg-1", providerMessageID: "wamid.1", at: 40))
        #expect(try await store.messageLog(tenant: Sample.tenant, messageID: "msg-1").map { ($0.state, $0.updatedAt) } ?? ("", 0) == ("read", 30))
    }

    @Test("an id that is one message's own and another's provider id finds the message it is the own id of", arguments: StoreFixture.allCases)
    func ownIDWins(_ fixture: StoreFixture) async throws {
        let store = try await storeWithMessages(fixture, ids: ["own-1", "own-2"])
        defer { Task { try? await store.shutdown() } }
        // own-1 is known to the provider as "own-2", the other message's own id.
        try await store.recordDelivery(tenant: Sample.tenant, messageID: "own-1", providerMessageID: "own-2", state: "sent", at: 10)
        #expect(try await store.messageLog(tenant: Sample.tenant, messageID: "own-2")?.messageID == "own-2")
        // A status naming "own-2" moves own-2, not own-1.
        try await store.recordDelivery(tenant: Sample.tenant, messageID: "own-2", providerMessageID: nil, state: "failed", at: 20)
        #expect(try await logState(store, "own-2").map { "\($0.state)@\($0.at)" } == "failed@20")
        #expect(try await logState(store, "own-1").map { "\($0.state)@\($0.at)" } == "sent@10")
        // The provider's id alone still finds own-1.
        try await store.recordDelivery(tenant: Sample.tenant, messageID: "own-1", providerMessageID: nil, state: "delivered", at: 30)
        #expect(try await logState(store, "own-1").map { "\($0.state)@\($0.at)" } == "delivered@30")
    }

    @Test("concurrent records (sent with the provider's id, then statuses by that id) each land as if applied alone, in arrival order",
          arguments: StoreFixture.allCases)
    func concurrentRecords(_ fixture: StoreFixture) async throws {
        let ids = (0..<60).map { "c-\($0)" }
        let store = try await storeWithMessages(fixture, ids: ids)
        defer { Task { try? await store.shutdown() } }
        // Many deliveries at once (the SQLite store writes them in batches): each message is marked
        // sent with the provider's id; a status naming the provider's id follows once it is recorded.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (n, id) in ids.enumerated() {
                group.addTask {
                    try await store.recordDelivery(tenant: Sample.tenant, messageID: id, providerMessageID: "wamid.\(id)", state: "sent", at: 10)
                    let next = n % 3 == 0 ? "read" : n % 3 == 1 ? "delivered" : "failed"
                    try await store.recordDelivery(tenant: Sample.tenant, messageID: "wamid.\(id)", providerMessageID: nil, state: next, at: 20)
                    // A later `sent`: back from failed (a resend got through), never back from delivered or read.
                    try await store.recordDelivery(tenant: Sample.tenant, messageID: "wamid.\(id)", providerMessageID: nil, state: "sent", at: 30)
                }
            }
            // Statuses for messages nobody sent change nothing and fail nothing.
            group.addTask {
                try await store.recordDelivery(tenant: Sample.tenant, messageID: "wamid.unknown", providerMessageID: nil, state: "read", at: 40)
            }
            try await group.waitForAll()
        }
        for (n, id) in ids.enumerated() {
            let record = try #require(try await store.messageLog(tenant: Sample.tenant, messageID: id))
            let second = n % 3 == 0 ? "read" : n % 3 == 1 ? "delivered" : "failed"
            let expected: (String, Int64) = second == "failed" ? ("sent", 30) : (second, 20)
            #expect(DeliveryState.accepts("sent", over: "failed") && !DeliveryState.accepts("sent", over: second == "failed" ? "read" : second))
            #expect(record.state == expected.0 && record.updatedAt == expected.1 && record.providerMessageID == "wamid.\(id)", "\(id): \(record)")
            // Found by the provider's id too.
            #expect(try await store.messageLog(tenant: Sample.tenant, messageID: "wamid.\(id)")?.messageID == id)
        }
    }

    @Test("statuses in any order end where the ordered stream ends, and read implies delivered", arguments: StoreFixture.allCases)
    func shuffledStatuses(_ fixture: StoreFixture) async throws {
        let ordered: [(String, Int64)] = [("sent", 10), ("delivered", 20), ("read", 30), ("failed", 35)]
        var generator = SystemRandomNumberGenerator()
        let orders = (0..<12).map { _ in ordered.shuffled(using: &generator) } + [ordered, ordered.reversed()]
        let ids = orders.indices.map { "shuffled-\($0)" }
        let store = try await storeWithMessages(fixture, ids: ids + ["skipped"])
        defer { Task { try? await store.shutdown() } }
        for (order, id) in zip(orders, ids) {
            var log: [String] = []
            for (state, at) in order {
                try await store.recordDelivery(tenant: Sample.tenant, messageID: id, providerMessageID: nil, state: state, at: at)
                log.append(try #require(try await logState(store, id)).state)
            }
            // Read wins, at the time it was reached; a late failed after delivery changes nothing;
            // on the way, the state never went back.
            let final = try #require(try await logState(store, id))
            #expect(final.state == "read" && final.at == 30, "order \(order.map(\.0))")
            // (sent → failed is the one step down: the provider took it, then reported it failed.)
            let ranks = log.filter { $0 != "failed" }.map(DeliveryRank.rank)
            #expect(zip(ranks, ranks.dropFirst()).allSatisfy { $0 <= $1 }, "order \(order.map(\.0)) went back: \(log)")
        }
        // Meta skipped delivered: read after sent, then the late delivered is refused.
        for (state, at) in [("sent", 10), ("read", 30), ("delivered", 20)] as [(String, Int64)] {
            try await store.recordDelivery(tenant: Sample.tenant, messageID: "skipped", providerMessageID: nil, state: state, at: at)
        }
        #expect(try await logState(store, "skipped")?.state == "read")
    }

    @Test("retries move failed → retrying → sent, and escalated is final", arguments: StoreFixture.allCases)
    func failureTrack(_ fixture: StoreFixture) async throws {
        let store = try await storeWithMessages(fixture, ids: ["got-through", "given-up", "replied"])
        defer { Task { try? await store.shutdown() } }
        func record(_ id: String, _ state: String, _ at: Int64) async throws -> String? {
            try await store.recordDelivery(tenant: Sample.tenant, messageID: id, providerMessageID: nil, state: state, at: at)
            return try await self.logState(store, id)?.state
        }
        #expect(try await record("got-through", "retrying", 1) == "retrying")
        #expect(try await record("got-through", "failed", 2) == "failed")
        #expect(try await record("got-through", "retrying", 3) == "retrying")
        #expect(try await record("got-through", "sent", 4) == "sent")
        #expect(try await record("got-through", "retrying", 5) == "sent", "a retry after the provider took it is stale")
        #expect(try await record("got-through", "read", 6) == "read")

        #expect(try await record("given-up", "retrying", 1) == "retrying")
        #expect(try await record("given-up", "escalated", 2) == "escalated")
        // The worker's copy of the channel's failed status, a late sent or delivered: all refused.
        for (state, at) in [("failed", 3), ("sent", 4), ("delivered", 5), ("read", 6), ("replied", 7)] as [(String, Int64)] {
            #expect(try await record("given-up", state, at) == "escalated", "escalated → \(state)")
        }

        #expect(try await record("replied", "sent", 1) == "sent")
        #expect(try await record("replied", "replied", 9) == "replied")
        #expect(try await record("replied", "read", 8) == "replied", "a reply implies read")
        #expect(try await record("replied", "failed", 10) == "replied")
        #expect(try await logState(store, "replied")?.at == 9)
    }
}
