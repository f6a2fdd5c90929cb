import ArriwaCore
import ArriwaRuntime
import ArriwaStore
import ArriwaTestSupport
import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
@testable import ArriwaChannels

/// The channel against the fake Cloud API over real HTTP: ids back, and each error class handled
/// as FACTS.md prescribes (template switch via the inbox, per-recipient / per-number backoff,
/// technical retries, undeliverable marks).
@Suite(.serialized) struct WhatsAppChannelTests {
    typealias H = ChannelHarness

    @Test func sendsWithTheTokenToTheOpenedAddressAndReturnsTheWamid() async throws {
        try await H.run { h in
            let lane = try await h.saveAddress()
            let wamid = try await h.channel.send(h.message(lane: lane), tenant: H.tenant, idempotencyKey: "s1-m1", redelivery: false)
            let received = await h.fake.received()
            #expect(received.count == 1)
            #expect(received.first?.path == "/v23.0/106540352242922/messages")
            #expect(received.first?.headers["authorization"] == "Bearer \(H.token)")
            #expect(received.first?.to == H.lead)
            #expect(received.first?.type == "text")
            #expect(received.first?.wamid == wamid)
            #expect(wamid.hasPrefix("wamid."))
        }
    }

    @Test func outsideTheWindowReportsFailed131047ToTheEngineAndStops() async throws {
        try await H.run { h in
            let lane = try await h.saveAddress()
            await h.fake.inject(.error(code: 131047), for: H.lead)
            let error = await #expect(throws: DeliveryError.self) {
                _ = try await h.channel.send(h.message(lane: lane), tenant: H.tenant, idempotencyKey: "s1-m1", redelivery: false)
            }
            #expect(error?.kind == .permanent)
            let statuses = try await h.inboxStatuses(lane: lane)
            #expect(statuses.count == 1)
            #expect(statuses.first?.messageID == "s1-m1")
            #expect(statuses.first?.state == .failed)
            #expect(statuses.first?.errorCode == 131047)
        }
    }

    @Test func pairRateLimitBacksOffThatRecipientOnly() async throws {
        try await H.run { h in
            let lane = try await h.saveAddress()
            let other = try await h.saveAddress("15550100789")
            await h.fake.inject(.error(code: 131056), for: H.lead)
            let first = await #expect(throws: DeliveryError.self) {
                _ = try await h.channel.send(h.message(lane: lane), tenant: H.tenant, idempotencyKey: "s1-m1", redelivery: false)
            }
            #expect(first?.kind == .transient)
            #expect(first?.retryAfterMillis == 4000)
            // The same recipient waits without a request reaching the provider…
            let again = await #expect(throws: DeliveryError.self) {
                _ = try await h.channel.send(h.message(lane: lane), tenant: H.tenant, idempotencyKey: "s1-m1", redelivery: true)
            }
            #expect(again?.kind == .transient)
            // (what is left of the 4 s back-off; a loaded machine may have used some of it)
            #expect((1...4000).contains(again?.retryAfterMillis ?? 0))
            #expect(await h.fake.received().count == 1)
            // …while another lead is served, and nothing went to the engine.
            _ = try await h.channel.send(h.message("s2-m1", lane: other), tenant: H.tenant, idempotencyKey: "s2-m1", redelivery: false)
            #expect(await h.fake.received().count == 2)
            #expect(try await h.inboxStatuses(lane: lane).isEmpty)
        }
    }

    @Test func throughputLimitBacksOffTheWholeSenderNumber() async throws {
        try await H.run { h in
            let lane = try await h.saveAddress()
            let other = try await h.saveAddress("15550100789")
            await h.fake.inject(.error(code: 130429), for: H.lead)
            let first = await #expect(throws: DeliveryError.self) {
                _ = try await h.channel.send(h.message(lane: lane), tenant: H.tenant, idempotencyKey: "s1-m1", redelivery: false)
            }
            #expect(first?.retryAfterMillis == 1000)
            let blocked = await #expect(throws: DeliveryError.self) {
                _ = try await h.channel.send(h.message("s2-m1", lane: other), tenant: H.tenant, idempotencyKey: "s2-m1", redelivery: false)
            }
            #expect(blocked?.kind == .transient)
            #expect(await h.fake.received().count == 1)
        }
    }

    @Test func technicalFailuresAreRetriedThenReportedFailedAtTheThird() async throws {
        try await H.run(requestTimeout: .milliseconds(300)) { h in
            let lane = try await h.saveAddress()
            await h.fake.inject(.serverError(status: 503), for: H.lead)
            await h.fake.inject(.timeout, for: H.lead)
            await h.fake.inject(.serverError(status: 500), for: H.lead)
            var kinds: [DeliveryError.Kind] = []
            for _ in 0..<3 {
                do {
                    _ = try await h.channel.send(h.message(lane: lane), tenant: H.tenant, idempotencyKey: "s1-m1", redelivery: true)
                } catch let error as DeliveryError {
                    kinds.append(error.kind)
                }
            }
            #expect(kinds == [.transient, .transient, .permanent])
            let statuses = try await h.inboxStatuses(lane: lane)
            #expect(statuses.map(\.state) == [.failed])
            #expect(statuses.first?.errorCode == nil)
            #expect(statuses.first?.errorTitle?.contains("after 3 attempts") == true)
        }
    }

    @Test func undeliverableIsReportedFailedWith131026() async throws {
        try await H.run { h in
            let lane = try await h.saveAddress()
            await h.fake.inject(.error(code: 131026), for: H.lead)
            await #expect(throws: DeliveryError.self) {
                _ = try await h.channel.send(h.message(lane: lane), tenant: H.tenant, idempotencyKey: "s1-m1", redelivery: false)
            }
            let statuses = try await h.inboxStatuses(lane: lane)
            #expect(statuses.map(\.state) == [.failed])
            #expect(statuses.first?.errorCode == 131026)
            #expect(statuses.first?.errorTitle?.contains(H.lead) == false, "the number is never written in clear")
        }
    }

    @Test func aRefusedTokenIsDeadLetteredWithoutCountingAgainstTheLead() async throws {
        try await H.run(channelToken: "expired-token") { h in
            let lane = try await h.saveAddress()
            let error = await #expect(throws: DeliveryError.self) {
                _ = try await h.channel.send(h.message(lane: lane), tenant: H.tenant, idempotencyKey: "s1-m1", redelivery: false)
            }
            #expect(error?.kind == .permanent)
            #expect(error?.message.contains("190") == true)
            #expect(try await h.inboxStatuses(lane: lane).isEmpty, "an operator must fix the token; the lead is not handed over")
        }
    }

    @Test func noStoredAddressIsAPermanentErrorNamingTheSubscriber() async throws {
        try await H.run { h in
            let error = await #expect(throws: DeliveryError.self) {
                _ = try await h.channel.send(h.message(lane: "unknown-lane"), tenant: H.tenant, idempotencyKey: "s1-m1", redelivery: false)
            }
            #expect(error?.kind == .permanent)
            #expect(error?.message.contains("sub-1") == true)
            #expect(await h.fake.received().isEmpty)
        }
    }

    @Test func aLeadKnownOnlyByBusinessScopedUserIDIsSentToAsRecipient() async throws {
        try await H.run { h in
            let bsuid = "US.13491208655302741918"
            try await h.store.saveContactAddress(ContactAddress(tenant: H.tenant, lane: "bsuid-lane", kind: .bsuid,
                                                                sealed: try h.sealer.seal(bsuid), updatedAt: 0))
            _ = try await h.channel.send(h.message(lane: "bsuid-lane"), tenant: H.tenant, idempotencyKey: "s1-m1", redelivery: false)
            let received = try #require(await h.fake.received().first)
            #expect(received.json?["recipient"] as? String == bsuid)
            #expect(received.json?["to"] == nil)
        }
    }

    @Test func aRedeliveredMessageThatAlreadyGotThroughIsNotSentAgain() async throws {
        try await H.run { h in
            let lane = try await h.saveAddress()
            let message = h.message(lane: lane)
            try await h.test.commitSend(message, tenant: H.tenant)
            let wamid = try await h.channel.send(message, tenant: H.tenant, idempotencyKey: message.id, redelivery: false)
            // The dispatcher recorded the id, then died before completing the row: it comes again.
            try await h.store.recordDelivery(tenant: H.tenant, messageID: message.id, providerMessageID: wamid, state: "sent", at: 1)
            let again = try await h.channel.send(message, tenant: H.tenant, idempotencyKey: message.id, redelivery: true)
            #expect(again == wamid)
            #expect(await h.fake.received().count == 1)
        }
    }

    @Test func fakeProviderRefusesAWrongToken() async throws {
        try await H.run { h in
            var request = HTTPClientRequest(url: "\(h.fake.baseURL)/v23.0/1/messages")
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer wrong")
            request.body = .bytes(ByteBuffer(string: #"{"messaging_product":"whatsapp","to":"1","type":"text"}"#))
            let response = try await h.client.execute(request, timeout: .seconds(5))
            #expect(response.status.code == 401)
            let body = try await response.body.collect(upTo: 1 << 16)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any])
            #expect((object["error"] as? [String: Any])?["code"] as? Int == 190)
        }
    }
}
