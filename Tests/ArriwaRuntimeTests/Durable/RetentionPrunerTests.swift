import ArriwaCore
import ArriwaRuntime
import ArriwaStore
import Foundation
import Testing

@Suite("Retention pruner")
struct RetentionPrunerTests {
    @Test("processed rows older than the retention go in batches; recent rows and every session stay")
    func prunesOldProcessedRows() async throws {
        let harness = try await DurableHarness()
        // Three leads write on day 0 and are answered; their turns commit and the sends are delivered.
        for n in 0..<3 { try await harness.say("Hi", phone: "+1555000100\(n)") }
        try await harness.settle()
        let deliveredBefore = try await harness.store.outbox(OutboxFilter(tenant: DurableHarness.tenant, status: .delivered)).count
        #expect(deliveredBefore >= 3)

        // Day 20: one more lead writes (recent) and is answered.
        await harness.clock.advance(by: 20 * 86_400_000)
        try await harness.say("Hi", phone: "+15550009999")
        try await harness.settle()

        let pruner = RetentionPruner(store: harness.store, configuration: .init(retentionDays: 14, batch: 1), clock: harness.clock)
        let counts = try await pruner.pruneAll()
        #expect(counts.inbox == 3)
        #expect(counts.outbox == deliveredBefore)
        // Only the recent lead's delivered rows are left; every session is still there.
        let left = try await harness.store.outbox(OutboxFilter(tenant: DurableHarness.tenant))
        #expect(!left.isEmpty && left.allSatisfy { $0.status == .delivered })
        #expect(try await pruner.pruneAll() == PruneCounts())
        for n in 0..<3 {
            let hash = try #require(Phone.hash("+1555000100\(n)"))
            let subscriber = try #require(try await harness.store.subscriber(tenant: DurableHarness.tenant, lane: hash))
            #expect(try await harness.store.latestSession(tenant: DurableHarness.tenant, subscriberID: subscriber.subscriberID) != nil)
        }
    }

    @Test("the retention is never shorter than 8 days (Meta redelivers webhooks for 7)")
    func minimumRetention() {
        #expect(RetentionPruner.Configuration(retentionDays: 1).retentionMillis == 8 * 86_400_000)
        #expect(RetentionPruner.Configuration(retentionDays: 30).retentionMillis == 30 * 86_400_000)
    }
}
