import ArriwaCore
import ArriwaStore
import Foundation
import Testing
@testable import ArriwaChannels

/// Statuses arriving in any order end in the same state; read implies delivered; failures escalate.
@Suite struct DeliveryStateMachineTests {
    typealias Machine = DeliveryStateMachine

    @Test func theHappyPathGoesForward() {
        var machine = Machine()
        #expect(machine.state == .pending)
        let changed1 = machine.apply(.status(.sent, at: 1000))
        #expect(changed1)
        let changed2 = machine.apply(.status(.delivered, at: 2000))
        #expect(changed2)
        let changed3 = machine.apply(.status(.read, at: 3000))
        #expect(changed3)
        let changed4 = machine.apply(.replied(at: 4000))
        #expect(changed4)
        #expect(machine.state == .replied)
        #expect(machine.reachedAt[.delivered] == 2000)
    }

    @Test(arguments: 0..<50)
    func shuffledStatusesEndWhereOrderedOnesDo(seed: Int) {
        var generator = SeededGenerator(seed: UInt64(seed + 1))
        let ordered: [Machine.Event] = [.status(.sent, at: 1000), .status(.delivered, at: 2000), .status(.read, at: 3000),
                                        .replied(at: 5000)]
        let shuffled = ordered.shuffled(using: &generator)
        let machine = Machine.replay(shuffled)
        #expect(machine.state == .replied)
        #expect(machine.reachedAt == Machine.replay(ordered).reachedAt)
        // Applied as they come (no sorting), the state still never moves back.
        var live = Machine()
        for event in shuffled { live.apply(event) }
        #expect(live.state == .replied)
    }

    @Test func readImpliesDeliveredWhenMetaSkipsIt() {
        let machine = Machine.replay([.status(.read, at: 3000), .status(.sent, at: 1000)])
        #expect(machine.state == .read)
        #expect(machine.reachedAt[.delivered] == 3000)
        var late = machine
        let changed5 = late.apply(.status(.delivered, at: 2500))
        #expect(!changed5)
        #expect(late.state == .read)
    }

    @Test func aFailureAfterDeliveryIsIgnored() {
        var machine = Machine.replay([.status(.sent, at: 1), .status(.delivered, at: 2)])
        let changed6 = machine.apply(.status(.failed, at: 3, errorCode: 131026))
        #expect(!changed6)
        #expect(machine.state == .delivered)
        #expect(machine.failures == 0)
    }

    @Test func failedRetryingThenSentOrEscalatedOnTheThird() {
        var machine = Machine()
        machine.apply(.status(.failed, at: 1, errorCode: 131026))
        #expect(machine.state == .failed)
        machine.apply(.retrying(at: 2))
        #expect(machine.state == .retrying)
        machine.apply(.status(.sent, at: 3))
        #expect(machine.state == .sent)
        machine.apply(.status(.failed, at: 4))
        machine.apply(.retrying(at: 5))
        machine.apply(.status(.failed, at: 6, errorCode: 500))
        #expect(machine.state == .escalated)
        #expect(machine.failures == 3)
        #expect(machine.lastErrorCode == 500)
        let changed7 = machine.apply(.status(.sent, at: 7))
        #expect(!changed7)
    }

    @Test(arguments: 0..<20)
    func shuffledFailuresStillEscalateAtTheThird(seed: Int) {
        var generator = SeededGenerator(seed: UInt64(seed + 100))
        let events: [Machine.Event] = [.status(.failed, at: 10), .retrying(at: 20), .status(.failed, at: 30), .retrying(at: 40),
                                       .status(.failed, at: 50)]
        #expect(Machine.replay(events.shuffled(using: &generator)).state == .escalated)
    }

    @Test func thePersistedStateLivesInTheMessageLog() async throws {
        let test = try await ChannelTestStore.open()
        let store = test.store
        let message = OutboundMessage(id: "s1-m1", sessionID: "s1", subscriberID: "sub", phoneHash: "lane-1", origin: "main/ask",
                                      purpose: .flow, content: .text("hi"), windowOpen: true)
        try await test.commitSend(message, tenant: "t")
        // Statuses applied out of order, each persisted as it arrives.
        var machine = Machine()
        for event: Machine.Event in [.status(.read, at: 3000), .status(.sent, at: 1000), .status(.delivered, at: 2000)] {
            if machine.apply(event) { try await machine.record(in: store, tenant: "t", messageID: "s1-m1", providerMessageID: "wamid.X") }
        }
        let log = try #require(try await store.messageLog(tenant: "t", messageID: "wamid.X"))
        #expect(log.state == "read")
        #expect(Machine(log: log).state == .read)
        await test.close()
    }
}

/// A small deterministic generator (SplitMix64) so shuffles are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
