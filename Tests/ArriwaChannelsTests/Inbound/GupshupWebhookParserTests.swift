import ArriwaChannels
import ArriwaCore
import Testing

/// Every Gupshup fixture (v2 messages and message events, v3 passthrough) parses as expected.
@Suite struct GupshupWebhookParserTests {
    func single(_ name: String) throws -> InboundMessage {
        let parse = WebhookProvider.gupshup.parse(try InboundFixtures.bytes(name), now: InboundFixtures.now)
        #expect(parse.rejected.isEmpty, "\(parse.rejected)")
        #expect(parse.messages.count == 1)
        let lead = try #require(parse.messages.first)
        #expect(lead.address.kind == .phone && lead.address.value == InboundFixtures.lead)
        #expect(lead.message.contact.phoneHash == Phone.hash(InboundFixtures.lead))
        #expect(lead.message.contact.profileName == "Camila Duarte")
        return lead.message
    }

    @Test func text() throws {
        let message = try single("gupshup-inbound-text")
        #expect(message.id == "ABEGFVVQEAQWAhBx9mK3LqZ0Ra1c")
        #expect(message.kind == .text)
        #expect(message.text == "Olá! Quero saber o preço do plano anual")
        #expect(message.receivedAt == 1_767_702_341_512)
    }

    @Test func buttonReply() throws {
        let message = try single("gupshup-inbound-button-reply")
        #expect(message.kind == .button)
        #expect(message.replyID == "budget_5k_plus")
        #expect(message.replyTitle == "Mais de R$5 mil")
    }

    @Test func quickReplyTypeIsAcceptedForAnInteractiveButtonToo() throws {
        var text = String(decoding: try InboundFixtures.bytes("gupshup-inbound-button-reply"), as: UTF8.self)
        text = text.replacingOccurrences(of: "\"button_reply\"", with: "\"quick_reply\"")
        let parse = WebhookProvider.gupshup.parse(Array(text.utf8), now: InboundFixtures.now)
        let message = try #require(parse.messages.first?.message)
        #expect(message.kind == .button)
        #expect(message.replyID == "budget_5k_plus")
        #expect(message.replyTitle == "Mais de R$5 mil")
    }

    @Test func listReply() throws {
        let message = try single("gupshup-inbound-list-reply")
        #expect(message.kind == .list)
        #expect(message.replyID == "timeline_30d")
        #expect(message.replyTitle == "Next 30 days")
    }

    @Test func templateQuickReply() throws {
        let message = try single("gupshup-inbound-template-quick-reply")
        #expect(message.kind == .templateReply)
        #expect(message.replyID == "REENGAGE_YES")
        #expect(message.replyTitle == "Yes, call me")
    }

    @Test func v3PassthroughWithReferral() throws {
        let message = try single("gupshup-inbound-v3-ctwa-referral")
        #expect(message.id == "wamid.HBgLMTU1NTAxMDA0NTYVAgASGBQzQUIxN0UwQzk1RDI0RjZFOEEwMwA=")
        #expect(message.kind == .text)
        #expect(message.referral?["ctwa_clid"]?.hasPrefix("ARAxu7vKnkf") == true)
        #expect(message.referral?["source_id"] == "120219384756102938")
        #expect(message.referralRaw?.contains("\"ctwa_clid\"") == true)
    }

    @Test(arguments: [
        ("gupshup-message-event-sent", DeliveryStatus.State.sent, Int64(1_767_702_352_000)),
        ("gupshup-message-event-delivered", .delivered, 1_767_702_354_000),
        ("gupshup-message-event-read", .read, 1_767_702_402_000),
    ])
    func deliveryEvents(name: String, state: DeliveryStatus.State, at: Int64) throws {
        let parse = WebhookProvider.gupshup.parse(try InboundFixtures.bytes(name), now: InboundFixtures.now)
        let status = try #require(parse.statuses.first)
        #expect(parse.statuses.count == 1 && parse.messages.isEmpty)
        // The Gupshup id (what the send call returned) first, then WhatsApp's.
        #expect(status.providerMessageIDs == ["59f8db90-c37e-4408-90ab-cc54ef8246ad", "gBEGFVVQEAQWAgkD7bRi9syGnBk"])
        #expect(status.state == state)
        #expect(status.at == at)
    }

    @Test func failedEventCarriesMetasCode() throws {
        let parse = WebhookProvider.gupshup.parse(try InboundFixtures.bytes("gupshup-message-event-failed"), now: InboundFixtures.now)
        let status = try #require(parse.statuses.first)
        #expect(status.state == .failed)
        #expect(status.providerMessageIDs == ["9163a016-710e-41ee-978b-79a1adbd734e", "72f61f22-5aa4-4615-a970-943edf6da01c"])
        #expect(status.errorCode == 131047)
        #expect(status.errorTitle?.hasPrefix("Message failed to send because more than 24 hours") == true)
        #expect(status.at == 1_767_792_350_000)
    }

    @Test func enqueuedIsAcknowledgedNotADeliveryState() throws {
        let parse = WebhookProvider.gupshup.parse(try InboundFixtures.bytes("gupshup-message-event-enqueued"), now: InboundFixtures.now)
        #expect(parse.statuses.isEmpty && parse.messages.isEmpty && !parse.isMalformed)
        #expect(parse.ignored.count == 1)
        #expect(parse.ignored.first?.contains("enqueued") == true)
    }

    @Test func nonDeliveryEventsAreIgnoredEvenWithoutAnID() {
        let body = #"{"app":"LeadQualBot","timestamp":1767702341512,"version":2,"type":"message-event","payload":{"type":"mismatch","destination":"15550100456"}}"#
        let parse = WebhookProvider.gupshup.parse(Array(body.utf8), now: InboundFixtures.now)
        #expect(parse.rejected.isEmpty && !parse.isMalformed)
        #expect(parse.ignored.first?.contains("'mismatch' is not a delivery state") == true)
    }

    @Test func v3StatusesCarryGupshupsIDAsASecondKey() throws {
        let body = #"{"gs_app_id":"82ed","object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"statuses":[{"id":"wamid.S1","gs_id":"59f8db90","status":"failed","timestamp":"1767702641","recipient_id":"15550100456","code":1002,"reason":"Number does not exist on WhatsApp"},{"id":"wamid.S1","gs_id":"59f8db90","status":"enqueued","timestamp":"1767702640"}]}}]}]}"#
        let parse = WebhookProvider.gupshup.parse(Array(body.utf8), now: InboundFixtures.now)
        let status = try #require(parse.statuses.first)
        #expect(parse.statuses.count == 1)
        #expect(status.providerMessageIDs == ["wamid.S1", "59f8db90"])
        #expect(status.state == .failed && status.errorCode == 1002 && status.errorTitle == "Number does not exist on WhatsApp")
        #expect(parse.ignored.count == 1 && parse.ignored.first?.contains("'enqueued'") == true)
    }

    @Test func userEventsAreIgnored() {
        let body = #"{"app":"LeadQualBot","timestamp":1767702341512,"version":2,"type":"user-event","payload":{"phone":"15550100456","type":"opted-in"}}"#
        let parse = WebhookProvider.gupshup.parse(Array(body.utf8), now: InboundFixtures.now)
        #expect(parse.ignored == ["gupshup user-event event"])
        #expect(!parse.isMalformed)
    }
}
