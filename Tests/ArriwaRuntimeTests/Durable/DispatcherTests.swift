import ArriwaCore
import ArriwaRuntime
import ArriwaStore
import ArriwaTestSupport
import AsyncHTTPClient
import Crypto
import Foundation
import Testing

/// The outbox dispatcher against a real HTTP receiver on loopback.
@Suite struct DispatcherTests {
    static let secret = "sink-secret-for-tests"

    /// A harness whose `crm` sink posts to a fake receiver.
    func withSink(maxAttempts: Int = 6, _ body: (DurableHarness, FakeWebhookReceiver) async throws -> Void) async throws {
        let receiver = try await FakeWebhookReceiver.start()
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            let sink = WebhookSink(configuration: .init(url: receiver.url, secret: Self.secret, timeout: .seconds(5)), client: client)
            let h = try await DurableHarness(sinks: ["crm": sink], dispatcher: .init(owner: "dispatcher-test", maxAttempts: maxAttempts))
            try await body(h, receiver)
        } catch {
            try? await client.shutdown()
            await receiver.shutdown()
            throw error
        }
        try await client.shutdown()
        await receiver.shutdown()
    }

    func crmRow(_ h: DurableHarness) async throws -> OutboxRecord {
        try #require(try await h.store.outbox(OutboxFilter(destination: "crm")).first)
    }

    @Test func webhookSinkPostsTheEffectSignedWithItsIdempotencyKey() async throws {
        try await withSink { h, receiver in
            try await h.say("Hi")
            try await h.settle()
            let received = await receiver.received()
            try #require(received.count == 1)
            let request = received[0]
            let payload = try JSONDecoder().decode(WebhookPayload.self, from: request.body)
            #expect(payload.kind == "emit")
            #expect(payload.destination == "crm")
            #expect(payload.emission?.event == "FUNNEL_STARTED")
            #expect(payload.emission?.audiencesAdd == ["A1_STARTED_NOT_FINISHED"])
            #expect(payload.redelivery == false)
            #expect(request.headers["content-type"] == "application/json")
            #expect(request.headers["idempotency-key"] == payload.key)
            #expect(request.headers["x-arriwa-redelivery"] == nil)
            // Verify the signature independently of WebhookSink.signature.
            let mac = HMAC<SHA256>.authenticationCode(for: request.body, using: SymmetricKey(data: Data(Self.secret.utf8)))
            let hex = mac.map { String(format: "%02x", $0) }.joined()
            #expect(request.headers["x-arriwa-signature"] == "sha256=\(hex)")
            #expect(String(decoding: request.body, as: UTF8.self).contains("+1555") == false, "no phone number in the payload")

            let row = try await crmRow(h)
            #expect(row.status == .delivered)
            #expect(row.attempts == 1)
        }
    }

    @Test func serverErrorsAreRetriedWithBackoffThenDeliveredAsRedelivery() async throws {
        try await withSink { h, receiver in
            await receiver.enqueue(503, 500)
            try await h.say("Hi")
            await h.worker.drain()
            try await h.dispatcher.dispatchOnce()
            var row = try await crmRow(h)
            #expect(row.status == .pending)
            #expect(row.nextAttemptAt == Harness.t0 + 1000, "first backoff 1 s")
            #expect(row.lastError?.contains("503") == true)

            await h.clock.advance(by: 999)
            try await h.dispatcher.dispatchOnce()
            #expect(await receiver.received().count == 1, "not due before the backoff")

            await h.clock.advance(by: 1)
            try await h.dispatcher.dispatchOnce()
            row = try await crmRow(h)
            #expect(row.status == .pending)
            #expect(row.nextAttemptAt == Harness.t0 + 1000 + 2000, "second backoff 2 s")

            await h.clock.advance(by: 2000)
            try await h.dispatcher.dispatchOnce()
            row = try await crmRow(h)
            #expect(row.status == .delivered)
            #expect(row.attempts == 3)

            let received = await receiver.received()
            #expect(received.count == 3)
            #expect(Set(received.compactMap { $0.headers["idempotency-key"] }).count == 1, "one key for every attempt")
            #expect(received.map { $0.headers["x-arriwa-redelivery"] } == [nil, "true", "true"])
        }
    }

    @Test func aClientErrorIsADeadLetterAtOnce() async throws {
        try await withSink { h, receiver in
            await receiver.setDefaultStatus(400)
            try await h.say("Hi")
            try await h.settle()
            let row = try await crmRow(h)
            #expect(row.status == .dead)
            #expect(row.attempts == 1)
            #expect(row.lastError?.contains("400") == true)
            #expect(await receiver.received().count == 1)
        }
    }

    @Test func rateLimitsAreRetriedAndGiveUpAfterMaxAttempts() async throws {
        try await withSink(maxAttempts: 3) { h, receiver in
            await receiver.setDefaultStatus(429)
            try await h.say("Hi")
            await h.worker.drain()
            for wait in [0, 1000, 2000] as [Int64] {
                await h.clock.advance(by: wait)
                try await h.dispatcher.dispatchOnce()
            }
            let row = try await crmRow(h)
            #expect(row.status == .dead)
            #expect(row.attempts == 3)
            #expect(await receiver.received().count == 3)
        }
    }

    @Test func backoffDoublesFromOneSecondAndCapsAtSixteen() {
        let configuration = OutboxDispatcher.Configuration()
        #expect((1...7).map { configuration.backoff(afterAttempt: $0) } == [1000, 2000, 4000, 8000, 16_000, 16_000, 16_000])
        #expect(configuration.maxAttempts == 6)
    }

    @Test func sendsAreDeliveredToTheChannelAndRecordedAsSent() async throws {
        let h = try await DurableHarness()
        try await h.say("Hi")
        try await h.settle()
        let sent = try #require(await h.sent().first)
        let log = try #require(try await h.store.messageLog(tenant: DurableHarness.tenant, messageID: sent.wamid))
        #expect(log.messageID == sent.message.id)
        #expect(log.state == "sent")
        #expect(log.providerMessageID == sent.wamid)
    }
}
