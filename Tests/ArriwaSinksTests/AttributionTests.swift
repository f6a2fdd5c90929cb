import ArriwaCore
import ArriwaRuntime
import ArriwaSinks
import ArriwaStore
import ArriwaTestSupport
import Foundation
import Testing

/// A click-to-WhatsApp lead's ctwa_clid rides on every business-messaging event of that lead.
@Suite struct AttributionTests {
    @Test func aCTWALeadsClickIsOnEveryEventFromQualifiedLeadToPurchase() async throws {
        try await SinksHarness.run { h in
            let clid = "ARAxu7vKnkf-QP7MkA7nqgya2bKDeyTpnF42wYri2NsbkSc5rYvav1uUns4J7N9l2Hinh0dEdbSMe2JVOfOTeSBRg-Fk6OwLM3Cb36J"
            try await h.say("Hi, I saw your ad", ctwaClid: clid)
            try await h.say("yes")
            // An organic lead in parallel: its events never borrow the click.
            try await h.say("Hello", phone: "+15550100789")
            try await h.say("no", phone: "+15550100789")
            try await h.settle()
            let session = try await h.session()
            let (body, header) = try await StripeWebhookTests.signedCheckout(h, sessionID: session.id)
            let reply = try await h.post("/stripe/webhook", body: body, headers: [("Stripe-Signature", header)])
            #expect(reply.status == 200)
            try await h.settle()

            let events = await h.meta.events().filter { $0.eventID?.hasPrefix(session.id) == true }
            let names = events.compactMap(\.eventName)
            #expect(names.contains("QualifiedLead"))
            #expect(names.last == "Purchase")
            #expect(names.firstIndex(of: "QualifiedLead") ?? 99 < names.firstIndex(of: "Purchase") ?? -1)
            for event in events {
                #expect(event.event["user_data"]?["ctwa_clid"]?.string == clid, "\(event.eventName ?? "?") carries the click")
                #expect(event.event["action_source"]?.string == "business_messaging")
                #expect(event.dataset == SinksHarness.goodDataset)
            }
            let organic = try await h.session(phone: "+15550100789")
            #expect(await h.meta.events().contains { $0.eventID?.hasPrefix(organic.id) == true } == false,
                    "without a click nothing business-messaging is sent for the organic lead")
            let skipped = try await h.rows("capi").filter { $0.item.sessionID == organic.id }
            #expect(!skipped.isEmpty && skipped.allSatisfy { $0.remoteID?.hasPrefix("skipped: no ctwa_clid") == true })
        }
    }
}
