import ArriwaClassify
import Testing

/// `CircuitBreaker` with an injected clock: 3 failures in 60 s open it, 30 s later one trial call.
@Suite struct ClassifyBreakerTests {
    @Test func opensAfterThreeFailuresWithinSixtySeconds() async {
        let clock = ManualClock()
        let breaker = CircuitBreaker(clock: clock.clock)
        for _ in 0..<2 {
            await breaker.recordFailure(for: "acme")
            clock.advance(by: 20)
        }
        #expect(await breaker.state(for: "acme") == .closed)
        #expect(await breaker.allowRequest(for: "acme"))
        await breaker.recordFailure(for: "acme")
        #expect(await breaker.state(for: "acme") == .open)
        #expect(await !breaker.allowRequest(for: "acme"))
        #expect(await breaker.allowRequest(for: "other"))
    }

    @Test func failuresOlderThanTheWindowDoNotCount() async {
        let clock = ManualClock()
        let breaker = CircuitBreaker(clock: clock.clock)
        await breaker.recordFailure(for: "acme")
        clock.advance(by: 40)
        await breaker.recordFailure(for: "acme")
        clock.advance(by: 25)  // the first failure is now 65 s old
        await breaker.recordFailure(for: "acme")
        #expect(await breaker.state(for: "acme") == .closed)
        await breaker.recordFailure(for: "acme")
        #expect(await breaker.state(for: "acme") == .open)
    }

    @Test func halfOpensAfterThirtySecondsForOneTrialAndSuccessCloses() async {
        let clock = ManualClock()
        let breaker = CircuitBreaker(clock: clock.clock)
        for _ in 0..<3 { await breaker.recordFailure(for: "acme") }
        clock.advance(by: 29.9)
        #expect(await breaker.state(for: "acme") == .open)
        #expect(await !breaker.allowRequest(for: "acme"))
        clock.advance(by: 0.1)
        #expect(await breaker.state(for: "acme") == .halfOpen)
        #expect(await breaker.allowRequest(for: "acme"))
        #expect(await !breaker.allowRequest(for: "acme"), "only one trial call while half-open")
        await breaker.recordSuccess(for: "acme")
        #expect(await breaker.state(for: "acme") == .closed)
        #expect(await breaker.allowRequest(for: "acme"))
        // Closed afresh: two new failures do not reopen it.
        await breaker.recordFailure(for: "acme")
        await breaker.recordFailure(for: "acme")
        #expect(await breaker.state(for: "acme") == .closed)
    }

    @Test func failedTrialReopensForAnotherThirtySeconds() async {
        let clock = ManualClock()
        let breaker = CircuitBreaker(clock: clock.clock)
        for _ in 0..<3 { await breaker.recordFailure(for: "acme") }
        clock.advance(by: 31)
        #expect(await breaker.allowRequest(for: "acme"))
        await breaker.recordFailure(for: "acme")
        #expect(await breaker.state(for: "acme") == .open)
        clock.advance(by: 29)
        #expect(await !breaker.allowRequest(for: "acme"))
        clock.advance(by: 1)
        #expect(await breaker.allowRequest(for: "acme"))
    }

    @Test func customThresholds() async {
        let clock = ManualClock()
        let breaker = CircuitBreaker(configuration: .init(failureThreshold: 1, window: 10, openDuration: 5), clock: clock.clock)
        await breaker.recordFailure(for: "acme")
        #expect(await breaker.state(for: "acme") == .open)
        clock.advance(by: 5)
        #expect(await breaker.state(for: "acme") == .halfOpen)
    }
}
