import ArriwaCore
import ArriwaRuntime
import ArriwaStore
import ArriwaTestSupport
import Foundation
import Testing
@testable import ArriwaChannels

/// The live delivery state machine: a real outbox dispatcher delivers through the real channel to
/// the fake Cloud API (over HTTP) injecting failures, on a real SQLite store, and the message log
/// follows the machine — RETRYING while a failed send waits for its next attempt, SENT when a retry
/// gets through, ESCALATED when the channel gives up and hands the message to the engine.
@Suite(.serialized) struct DeliveryStateChannelTests {
    typealias H = ChannelHarness

    func dispatcher(_ h: H, clock: VirtualClock, maxAttempts: Int = 6) -> OutboxDispatcher {
        OutboxDispatcher(store: h.store, destinations: Destinations(channel: h.channel),
                         configuration: .init(owner: "test-dispatcher", maxAttempts: maxAttempts), clock: clock)
    }

    func logState(_ h: H, _ id: String) async throws -> String? {
        try await h.store.messageLog(tenant: H.tenant, messageID: id)?.state
    }

    /// Dispatches the due row `times` times, a minute of virtual time apart; the log state after each.
    func attempts(_ times: Int, _ dispatcher: OutboxDispatcher, clock: VirtualClock, h: H, id: String) async throws -> [String?] {
        var states: [String?] = []
        for attempt in 1...times {
            #expect(try await dispatcher.dispatchOnce() == 1, "attempt \(attempt) found the row due")
            states.append(try await logState(h, id))
            await clock.advance(by: 300_000)
        }
        return states
    }

    @Test func technicalFailuresAreRetryingThenEscalatedAtTheThird() async throws {
        let clock = VirtualClock(startAt: 10_000)
        try await H.run(clock: clock) { h in
            let lane = try await h.saveAddress()
            let message = h.message(lane: lane)
            try await h.test.commitSend(message, tenant: H.tenant)
            #expect(try await logState(h, message.id) == "pending")
            for status in [503, 502, 500] { await h.fake.inject(.serverError(status: status), for: H.lead) }
            let dispatcher = dispatcher(h, clock: clock)

            #expect(try await attempts(3, dispatcher, clock: clock, h: h, id: message.id) == ["retrying", "retrying", "escalated"])
            #expect(await h.fake.received().count == 3)
            #expect(try await dispatcher.dispatchOnce() == 0, "an escalated row is not tried again")
            #expect(try await h.store.outboxCounts(tenant: H.tenant) == [.dead: 1])
            // The engine got the failure (it resends; its 3rd failed delivery hands the lead over)…
            let statuses = try await h.inboxStatuses(lane: lane)
            #expect(statuses.map(\.state) == [.failed])
            #expect(statuses.first?.messageID == message.id)
            #expect(statuses.first?.errorTitle?.contains("after 3 attempts") == true)
            // …and the turn that processes it records `failed`, which does not move the log back.
            try await h.store.recordDelivery(tenant: H.tenant, messageID: message.id, providerMessageID: nil, state: "failed",
                                             at: await clock.now())
            #expect(try await logState(h, message.id) == "escalated")
        }
    }

    @Test func aRetryThatGetsThroughMovesRetryingToSent() async throws {
        let clock = VirtualClock(startAt: 10_000)
        try await H.run(clock: clock) { h in
            let lane = try await h.saveAddress()
            let message = h.message(lane: lane)
            try await h.test.commitSend(message, tenant: H.tenant)
            await h.fake.inject(.serverError(status: 503), for: H.lead, times: 2)
            let dispatcher = dispatcher(h, clock: clock)

            #expect(try await attempts(3, dispatcher, clock: clock, h: h, id: message.id) == ["retrying", "retrying", "sent"])
            let log = try #require(try await h.store.messageLog(tenant: H.tenant, messageID: message.id))
            #expect(log.providerMessageID == (await h.fake.received().last?.wamid))
            #expect(try await h.store.outboxCounts(tenant: H.tenant) == [.delivered: 1])
            #expect(try await h.inboxStatuses(lane: lane).isEmpty, "nothing for the engine: the message got through")
            // Its statuses then arrive out of order: read first, the late delivered changes nothing.
            for (state, at) in [("read", Int64(30)), ("delivered", 20)] {
                try await h.store.recordDelivery(tenant: H.tenant, messageID: log.providerMessageID ?? "", providerMessageID: nil,
                                                 state: state, at: at)
            }
            #expect(try await logState(h, message.id) == "read")
        }
    }

    /// Issue 5 item 4: 131056 and 130429 back off; a row whose backoffs outlast its attempts is
    /// reported to the engine like a technical failure instead of going silently dead.
    @Test(arguments: [131056, 130429])
    func aRateLimitThatNeverLiftsIsReportedWhenTheRowRunsOutOfAttempts(code: Int) async throws {
        let clock = VirtualClock(startAt: 10_000)
        try await H.run(clock: clock) { h in
            let lane = try await h.saveAddress()
            let message = h.message(lane: lane)
            try await h.test.commitSend(message, tenant: H.tenant)
            await h.fake.injectAlways(.error(code: code), for: H.lead)
            let dispatcher = dispatcher(h, clock: clock, maxAttempts: 3)

            #expect(try await attempts(3, dispatcher, clock: clock, h: h, id: message.id) == ["retrying", "retrying", "escalated"])
            #expect(await h.fake.received().count == 3, "each attempt came after the backoff had passed")
            #expect(try await h.store.outboxCounts(tenant: H.tenant) == [.dead: 1])
            let statuses = try await h.inboxStatuses(lane: lane)
            #expect(statuses.map(\.state) == [.failed])
            #expect(statuses.first?.messageID == message.id)
            #expect(statuses.first?.errorCode == nil, "a failure like a technical one: resend, handover after the 3rd")
            #expect(statuses.first?.errorTitle?.contains("given up after 3 attempts") == true)
            #expect(statuses.first?.errorTitle?.contains("\(code)") == true)
            #expect(statuses.first?.errorTitle?.contains(H.lead) == false, "the number is never written in clear")
        }
    }

    @Test func aRateLimitThatLiftsBeforeTheLastAttemptIsNotReported() async throws {
        let clock = VirtualClock(startAt: 10_000)
        try await H.run(clock: clock) { h in
            let lane = try await h.saveAddress()
            let message = h.message(lane: lane)
            try await h.test.commitSend(message, tenant: H.tenant)
            await h.fake.inject(.error(code: 131056), for: H.lead, times: 2)
            let dispatcher = dispatcher(h, clock: clock, maxAttempts: 3)

            #expect(try await attempts(3, dispatcher, clock: clock, h: h, id: message.id) == ["retrying", "retrying", "sent"])
            #expect(try await h.store.outboxCounts(tenant: H.tenant) == [.delivered: 1])
            #expect(try await h.inboxStatuses(lane: lane).isEmpty)
        }
    }

    @Test func aGivenUpRowWhoseReportCannotBeWrittenIsKeptAndReportedOnTheNextAttempt() async throws {
        let clock = VirtualClock(startAt: 10_000)
        try await H.run(clock: clock, appendRefusals: AppendRefusals(1)) { h in
            let lane = try await h.saveAddress()
            let message = h.message(lane: lane)
            try await h.test.commitSend(message, tenant: H.tenant)
            await h.fake.injectAlways(.error(code: 131056), for: H.lead)
            let dispatcher = dispatcher(h, clock: clock, maxAttempts: 2)

            #expect(try await attempts(2, dispatcher, clock: clock, h: h, id: message.id) == ["retrying", "retrying"])
            // The 2nd attempt ran out, but the inbox refused the report: the row waits, not dead.
            #expect(try await h.store.outboxCounts(tenant: H.tenant) == [.pending: 1])
            #expect(try await h.inboxStatuses(lane: lane).isEmpty)
            #expect(try await attempts(1, dispatcher, clock: clock, h: h, id: message.id) == ["escalated"])
            #expect(try await h.store.outboxCounts(tenant: H.tenant) == [.dead: 1])
            #expect(try await h.inboxStatuses(lane: lane).map(\.state) == [.failed])
        }
    }
}
