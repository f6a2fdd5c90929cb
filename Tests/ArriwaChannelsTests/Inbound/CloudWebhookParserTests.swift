import ArriwaChannels
import ArriwaCore
import Testing

/// Every Cloud API inbound and status fixture parses to the expected provider-neutral event.
@Suite struct CloudWebhookParserTests {
    static let wamidOut = "wamid.HBgLMTU1NTAxMDA0NTYVAgARGBI1RjQyNUE3NEYxMzAzMzQ5MkEA"

    func single(_ name: String) throws -> LeadMessage {
        let parse = WebhookProvider.cloud.parse(try InboundFixtures.bytes(name), now: InboundFixtures.now)
        #expect(parse.rejected.isEmpty, "\(parse.rejected)")
        #expect(parse.statuses.isEmpty)
        #expect(parse.messages.count == 1)
        let lead = try #require(parse.messages.first)
        #expect(lead.address.kind == .phone)
        #expect(lead.address.value == InboundFixtures.lead)
        #expect(lead.address.lane == Phone.hash(InboundFixtures.lead))
        #expect(lead.message.contact.phoneHash == Phone.hash(InboundFixtures.lead))
        #expect(lead.message.contact.profileName == "Camila Duarte")
        #expect(!lead.message.contact.phoneHash.contains(InboundFixtures.lead))
        return lead
    }

    @Test func text() throws {
        let message = try single("cloud-inbound-text").message
        #expect(message.id == "wamid.HBgLMTU1NTAxMDA0NTYVAgASGBQzQTlGMkM0MUQwN0I1RThBMUM2RgA=")
        #expect(message.kind == .text)
        #expect(message.text == "Olá! Quero saber o preço do plano anual")
        #expect(message.receivedAt == 1_767_702_341_000)
        #expect(message.referral == nil && message.referralRaw == nil)
    }

    @Test func ctwaReferralKeepsEveryFieldAndTheRawBlock() throws {
        let message = try single("cloud-inbound-ctwa-referral").message
        #expect(message.kind == .text)
        #expect(message.text == "Hello! Can I get more info on this?")
        let referral = try #require(message.referral)
        #expect(referral["ctwa_clid"] == "ARAxu7vKnkf-QP7MkA7nqgya2bKDeyTpnF42wYri2NsbkSc5rYvav1uUns4J7N9l2Hinh0dEdbSMe2JVOfOTeSBRg-Fk6OwLM3Cb36J")
        #expect(referral["source_id"] == "120219384756102938")
        #expect(referral["source_url"] == "https://fb.me/8kQz2Lm4P")
        #expect(referral["source_type"] == "ad")
        #expect(referral["headline"] == "Chat with us")
        #expect(referral["body"] == "Plans from $29/month. Tap to chat with a specialist.")
        #expect(referral["media_type"] == "image")
        #expect(referral["image_url"]?.hasPrefix("https://scontent.xx.fbcdn.net/") == true)
        #expect(referral["welcome_message_text"] == "Hi there! Let us know how we can help!")
        // The raw block is the body's bytes, unchanged (same indentation, same key order).
        let raw = try #require(message.referralRaw)
        let body = String(decoding: try InboundFixtures.bytes("cloud-inbound-ctwa-referral"), as: UTF8.self)
        #expect(body.contains(raw))
        #expect(raw.hasPrefix("{") && raw.hasSuffix("}"))
        #expect(raw.contains("\"welcome_message\""))
    }

    @Test func buttonReply() throws {
        let message = try single("cloud-inbound-button-reply").message
        #expect(message.kind == .button)
        #expect(message.replyID == "budget_5k_plus")
        #expect(message.replyTitle == "Mais de R$5 mil")
        #expect(message.effectiveText == "Mais de R$5 mil")
    }

    @Test func listReply() throws {
        let message = try single("cloud-inbound-list-reply").message
        #expect(message.kind == .list)
        #expect(message.replyID == "timeline_30d")
        #expect(message.replyTitle == "Next 30 days")
    }

    @Test func templateButton() throws {
        let message = try single("cloud-inbound-template-button").message
        #expect(message.kind == .templateReply)
        #expect(message.replyID == "REENGAGE_YES")
        #expect(message.replyTitle == "Yes, call me")
    }

    @Test func imageWithCaption() throws {
        let message = try single("cloud-inbound-image").message
        #expect(message.kind == .media)
        #expect(message.mediaType == "image")
        #expect(message.caption == "Foto do espaço")
        #expect(message.effectiveText == "Foto do espaço")
    }

    @Test func voiceNote() throws {
        let message = try single("cloud-inbound-audio").message
        #expect(message.kind == .media)
        #expect(message.mediaType == "audio")
        #expect(message.caption == nil)
    }

    @Test(arguments: [
        ("cloud-status-sent", DeliveryStatus.State.sent, Int64(1_767_702_641_000)),
        ("cloud-status-delivered", .delivered, 1_767_702_641_000),
        ("cloud-status-read", .read, 1_767_702_761_000),
        ("cloud-status-sent-free-entry-point", .sent, 1_767_702_641_000),
    ])
    func status(name: String, state: DeliveryStatus.State, at: Int64) throws {
        let parse = WebhookProvider.cloud.parse(try InboundFixtures.bytes(name), now: InboundFixtures.now)
        #expect(parse.messages.isEmpty && parse.rejected.isEmpty)
        let status = try #require(parse.statuses.first)
        #expect(parse.statuses.count == 1)
        #expect(status.providerMessageIDs == [Self.wamidOut])
        #expect(status.state == state)
        #expect(status.at == at)
        #expect(status.errorCode == nil)
        #expect(status.deliveryStatus(messageID: "ours-1") == DeliveryStatus(messageID: "ours-1", state: state, at: at))
    }

    @Test func failedStatusCarriesTheErrorCodeAndTitle() throws {
        let parse = WebhookProvider.cloud.parse(try InboundFixtures.bytes("cloud-status-failed-131047"), now: InboundFixtures.now)
        let status = try #require(parse.statuses.first)
        #expect(status.state == .failed)
        #expect(status.providerMessageIDs == [Self.wamidOut])
        #expect(status.at == 1_767_792_341_000)
        #expect(status.errorCode == 131047)
        #expect(status.errorTitle == "Re-engagement message")
    }

    @Test func unknownTypeIsKeptAsOther() {
        let body = #"{"entry":[{"changes":[{"value":{"contacts":[{"wa_id":"15550100456"}],"messages":[{"from":"15550100456","id":"wamid.X","timestamp":"1767702341","type":"location","location":{"latitude":1.5}}]}}]}]}"#
        let parse = WebhookProvider.cloud.parse(Array(body.utf8), now: InboundFixtures.now)
        #expect(parse.messages.first?.message.kind == .other)
        #expect(parse.messages.first?.message.mediaType == "location")
        #expect(parse.messages.first?.message.id == "wamid.X")
    }

    @Test func userWithoutPhoneIsKeyedByBusinessScopedID() throws {
        let body = #"{"entry":[{"changes":[{"value":{"contacts":[{"profile":{"name":"Ana","username":"ana.b"},"user_id":"US.13491208655302741918"}],"messages":[{"from_user_id":"US.13491208655302741918","id":"wamid.B","timestamp":"1767702341","type":"text","text":{"body":"oi"}}]}}]}]}"#
        let parse = WebhookProvider.cloud.parse(Array(body.utf8), now: InboundFixtures.now)
        let lead = try #require(parse.messages.first)
        #expect(lead.address.kind == .bsuid)
        #expect(lead.address.value == "US.13491208655302741918")
        // A hash of the BSUID, prefixed so it never passes for a phone hash (sinks send only those to Meta).
        #expect(lead.address.lane.hasPrefix("bsuid-") && Phone.isHash(String(lead.address.lane.dropFirst(6))))
        #expect(!Phone.isHash(lead.address.lane) && !lead.address.lane.contains("US."))
        #expect(lead.message.contact.phoneHash == lead.address.lane)
        #expect(lead.message.contact.profileName == "Ana")
        #expect("\(lead.address)".contains("US.") == false)
    }

    @Test func unknownShapeIsIgnoredWithAReason() {
        let parse = WebhookProvider.cloud.parse(Array(#"{"object":"page","hello":1}"#.utf8), now: InboundFixtures.now)
        #expect(parse.messages.isEmpty && parse.statuses.isEmpty && !parse.isMalformed)
        #expect(parse.ignored.first?.hasPrefix("unknown shape") == true)
    }

    @Test func aBrokenMessageIsRejectedByPathWhileItsSiblingIsKept() throws {
        let body = #"{"entry":[{"changes":[{"value":{"messages":[{"from":"15550100456","type":"text","text":{"body":"no id"}},{"from":"15550100456","id":"wamid.OK","type":"text","text":{"body":"fine"}}]}}]}]}"#
        let parse = WebhookProvider.cloud.parse(Array(body.utf8), now: InboundFixtures.now)
        #expect(parse.rejected == [WebhookFieldError(field: "entry[0].changes[0].value.messages[0].id", "is missing")])
        #expect(parse.messages.map(\.message.id) == ["wamid.OK"])
        #expect(parse.messages.first?.message.receivedAt == InboundFixtures.now)
        #expect(!parse.isMalformed)
    }

    @Test func notJSONIsUnreadable() {
        let parse = WebhookProvider.cloud.parse(Array("{\"entry\": [".utf8), now: InboundFixtures.now)
        #expect(parse.isMalformed)
        #expect(parse.unreadable?.field == "body")
    }
}
