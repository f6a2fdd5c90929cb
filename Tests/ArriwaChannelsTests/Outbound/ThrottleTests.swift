import Testing
@testable import ArriwaChannels

/// The token bucket holds a sender to its rate; rate-limit backoffs stay per recipient / per number.
@Suite struct ThrottleTests {
    @Test func tokenBucketAllowsTheBurstThenHoldsToTheRate() async throws {
        let bucket = TokenBucket(rate: 80)
        // Reservations at given instants, so a slow machine cannot refill the bucket mid-test.
        let start = ContinuousClock.now
        var waits: [Duration] = []
        for _ in 0..<120 { waits.append(await bucket.reserve("106540352242922", at: start)) }
        // 80 tokens at once, then the 120th waits 40/80 s.
        #expect(waits.prefix(80).allSatisfy { $0 == .zero })
        #expect(waits[80] > .zero)
        #expect(waits[119] > .milliseconds(495) && waits[119] <= .milliseconds(505))
        // Half a second later 40 tokens have come back, all promised to the queue: the next waits 1/80 s.
        let next = await bucket.reserve("106540352242922", at: start + .milliseconds(500))
        #expect(next > .milliseconds(10) && next <= .milliseconds(15))
        // Two seconds later the bucket is full again.
        #expect(await bucket.reserve("106540352242922", at: start + .seconds(2)) == .zero)
        // Another sender number has its own bucket.
        #expect(await bucket.reserve("other-number", at: start) == .zero)
    }

    @Test func acquireReallyWaits() async throws {
        let bucket = TokenBucket(rate: 100, capacity: 5)
        let start = ContinuousClock.now
        for _ in 0..<25 { try await bucket.acquire("n") }
        // 5 at once, 20 more at 100/s: at least ~0.2 s.
        #expect(ContinuousClock.now - start >= .milliseconds(180))
    }

    @Test func pairRateLimitBacksOffOnlyThatRecipientBy4PowN() async {
        let throttle = SendThrottle()
        #expect(await throttle.pairLimited(sender: "s", recipient: "lead-a", now: 0) == 4000)
        #expect(await throttle.pairLimited(sender: "s", recipient: "lead-a", now: 0) == 16_000)
        #expect(await throttle.pairLimited(sender: "s", recipient: "lead-a", now: 0) == 64_000)
        #expect(await throttle.wait(sender: "s", recipient: "lead-a", now: 1000) == 63_000)
        #expect(await throttle.wait(sender: "s", recipient: "lead-b", now: 1000) == nil)
        await throttle.succeeded(sender: "s", recipient: "lead-a")
        #expect(await throttle.wait(sender: "s", recipient: "lead-a", now: 1000) == nil)
    }

    @Test func throughputLimitBacksOffTheWholeNumber() async {
        let throttle = SendThrottle()
        #expect(await throttle.senderLimited(sender: "s", now: 0) == 1000)
        #expect(await throttle.senderLimited(sender: "s", now: 0) == 2000)
        #expect(await throttle.wait(sender: "s", recipient: "anyone", now: 500) == 1500)
        #expect(await throttle.wait(sender: "other", recipient: "anyone", now: 500) == nil)
    }
}
