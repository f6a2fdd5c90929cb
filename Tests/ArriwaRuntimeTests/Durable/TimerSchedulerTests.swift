import ArriwaCore
import ArriwaRuntime
import ArriwaStore
import Testing

/// Timers are rows: the scheduler promotes due ones into the lane's inbox, the worker runs them.
@Suite struct TimerSchedulerTests {
    @Test func nudgeTimerIsPromotedAndProcessedOnAVirtualClock() async throws {
        let h = try await DurableHarness()
        try await h.say("Hi")
        try await h.settle()
        let question = try #require(await h.sent().first)
        #expect(question.message.content.body == "Hi! Which treatment are you interested in?")

        try await h.status(question.wamid, .delivered)
        try await h.settle()
        await h.clock.advance(by: 14 * Harness.minute)
        #expect(await h.scheduler.tick() <= 1000, "the scheduler never sleeps longer than a second")
        try await h.settle()
        #expect(await h.sent().count == 1, "not due yet")

        await h.clock.advance(by: Harness.minute)
        await h.scheduler.tick()
        #expect(try await h.store.pendingInboxCount() == 1, "the due nudge moved into the inbox")
        try await h.settle()
        let nudge = try #require(await h.sent().last)
        #expect(await h.sent().count == 2)
        #expect(nudge.message.purpose == .nudge)
        #expect(nudge.message.content.body == "Just checking in: tap an answer above whenever you're ready.")
        #expect(try await h.session()?.nudges == 1)
    }

    @Test func aTimerOfAnEndedWaitIsIgnoredWhenItFires() async throws {
        let h = try await DurableHarness()
        try await h.say("Hi")
        try await h.settle()
        let question = try #require(await h.sent().first)
        try await h.status(question.wamid, .delivered)
        try await h.settle()
        let session = try #require(try await h.session())
        #expect(try await h.store.pendingTimers(tenant: DurableHarness.tenant, sessionID: session.id).contains { $0.timer.kind == .nudge })

        // The lead answers; before a worker gets to it the old wait's nudge comes due and is
        // promoted behind the answer: it fires with a stale token.
        try await h.say("Implants")
        await h.clock.advance(by: 15 * Harness.minute)
        #expect(await h.scheduler.tick() >= 0)
        #expect(try await h.store.pendingInboxCount() == 2)
        try await h.settle()

        let sent = await h.sent()
        #expect(sent.map(\.message.purpose) == [.flow, .flow], "no nudge for the superseded wait")
        #expect(sent.last?.message.content.body == "When would you like to start?")
        #expect(try await h.store.pendingInboxCount() == 0)
        #expect(try await h.session()?.answers["Q1"] == "implants")
    }
}
