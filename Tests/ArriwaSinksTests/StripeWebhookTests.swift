import ArriwaCore
import ArriwaRuntime
import ArriwaSinks
import ArriwaStore
import ArriwaTestSupport
import Foundation
import Testing

/// Stripe-Signature checks and the checkout webhook turning a payment into `payment.completed`.
@Suite struct StripeWebhookTests {
    struct Vector: Decodable {
        var endpoint_secret: String
        var timestamp: Int64
        var raw_body: String
        var header_value: String
        var tolerance_seconds: Int64
    }

    func vector() throws -> Vector {
        try JSONDecoder().decode(Vector.self, from: Data(contentsOf: SinksHarness.fixture("stripe-signature-test-vector.json")))
    }

    @Test func theFixtureTestVectorVerifiesWithinTheToleranceOnly() throws {
        let v = try vector()
        let body = Data(v.raw_body.utf8)
        #expect(v.tolerance_seconds == StripeSignature.defaultTolerance)
        #expect(StripeSignature.header(payload: body, secret: v.endpoint_secret, timestamp: v.timestamp) == v.header_value)
        try StripeSignature.verify(payload: body, header: v.header_value, secret: v.endpoint_secret, now: v.timestamp + 300)
        #expect(throws: StripeSignature.Failure.outsideTolerance(ageSeconds: 301)) {
            try StripeSignature.verify(payload: body, header: v.header_value, secret: v.endpoint_secret, now: v.timestamp + 301)
        }
        #expect(throws: StripeSignature.Failure.mismatch) {
            try StripeSignature.verify(payload: body + Data(" ".utf8), header: v.header_value, secret: v.endpoint_secret, now: v.timestamp)
        }
        #expect(throws: StripeSignature.Failure.mismatch) {
            try StripeSignature.verify(payload: body, header: v.header_value, secret: "whsec_other", now: v.timestamp)
        }
        #expect(throws: StripeSignature.Failure.missingHeader) {
            try StripeSignature.verify(payload: body, header: nil, secret: v.endpoint_secret, now: v.timestamp)
        }
        // During a secret rotation Stripe sends several v1 values; any match is accepted.
        let rotated = "t=\(v.timestamp),v1=\(String(repeating: "0", count: 64)),v0=abc,\(v.header_value.split(separator: ",")[1])"
        try StripeSignature.verify(payload: body, header: rotated, secret: v.endpoint_secret, now: v.timestamp)
    }

    @Test func theFixtureCheckoutParsesToAPaidPaymentInMajorUnits() throws {
        let checkout = try StripeCheckout(json: Data(contentsOf: SinksHarness.fixture("stripe-checkout-session-completed.json")))
        #expect(checkout.isPaid)
        #expect(checkout.amount == 1490)
        #expect(checkout.currency == "BRL")
        #expect(checkout.sessionID == "lead_7f3c9a2e", "client_reference_id when metadata has no session_id")
        #expect(checkout.metadata["ctwa_clid"]?.hasPrefix("ARAxu7") == true)
    }

    /// The fixture event for `sessionID`, signed now with the shop's secret.
    static func signedCheckout(_ h: SinksHarness, sessionID: String, paymentStatus: String = "paid") async throws -> (Data, String) {
        var event = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: SinksHarness.fixture("stripe-checkout-session-completed.json"))) as? [String: Any])
        var data = try #require(event["data"] as? [String: Any])
        var object = try #require(data["object"] as? [String: Any])
        var metadata = object["metadata"] as? [String: String] ?? [:]
        metadata["session_id"] = sessionID
        object["metadata"] = metadata
        object["payment_status"] = paymentStatus
        data["object"] = object
        event["data"] = data
        let body = try JSONSerialization.data(withJSONObject: event)
        let header = StripeSignature.header(payload: body, secret: SinksHarness.stripeSecret, timestamp: await h.clock.now() / 1000)
        return (body, header)
    }

    @Test func aPaidCheckoutResumesTheSessionWhichEmitsPurchaseMovesAudiencesAndTheCRMStage() async throws {
        try await SinksHarness.run { h in
            try await h.say("Hi", ctwaClid: "CLID-PAY")
            try await h.say("yes")
            try await h.settle()
            let session = try await h.session()
            let (body, header) = try await Self.signedCheckout(h, sessionID: session.id)
            let reply = try await h.post("/stripe/webhook", body: body, headers: [("Stripe-Signature", header), ("Content-Type", "application/json")])
            #expect(reply.status == 200)
            #expect(reply.json["status"] as? String == "queued")
            try await h.settle()

            let purchase = try #require(await h.meta.events().first { $0.eventName == "Purchase" })
            #expect(purchase.event["custom_data"]?["value"]?.number == 1490)
            #expect(purchase.event["custom_data"]?["currency"]?.string == "BRL")
            #expect(purchase.event["user_data"]?["ctwa_clid"]?.string == "CLID-PAY")
            #expect(purchase.eventID == "\(session.id)-purchase")
            let hash = session.phoneHash
            #expect(await h.meta.members(of: "23851000000000005") == [hash], "joins CA_PURCHASERS")
            #expect(await h.meta.members(of: "23851000000000002").isEmpty, "leaves A2_QUALIFIED")
            #expect(await h.kommo.leads().first?.statusID == 65_432_111, "CRM stage Paid")
            #expect(await h.channel.sent.last?.message.content.body == "Payment received, thank you! Your receipt is on its way.")

            let again = try await h.post("/stripe/webhook", body: body, headers: [("Stripe-Signature", header)])
            #expect(again.json["status"] as? String == "duplicate", "Stripe's redelivery is applied once")
        }
    }

    @Test func aBadSignatureIsRefusedAndAnUnpaidCheckoutIgnored() async throws {
        try await SinksHarness.run { h in
            try await h.say("Hi")
            try await h.settle()
            let session = try await h.session()
            let (body, header) = try await Self.signedCheckout(h, sessionID: session.id)
            let forged = try await h.post("/stripe/webhook", body: body, headers: [("Stripe-Signature", header.replacingOccurrences(of: "v1=", with: "v1=0"))])
            #expect(forged.status == 400)
            #expect(forged.json["field"] as? String == "Stripe-Signature")
            let missing = try await h.post("/stripe/webhook", body: body, headers: [])
            #expect(missing.status == 400)
            let (unpaid, unpaidHeader) = try await Self.signedCheckout(h, sessionID: session.id, paymentStatus: "unpaid")
            let pending = try await h.post("/stripe/webhook", body: unpaid, headers: [("Stripe-Signature", unpaidHeader)])
            #expect(pending.status == 200)
            #expect(pending.json["status"] as? String == "ignored", "an async method waits for async_payment_succeeded")
            #expect(try await h.store.pendingInboxCount() == 0)
        }
    }
}
