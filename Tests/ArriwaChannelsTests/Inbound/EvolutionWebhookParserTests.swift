import ArriwaChannels
import ArriwaCore
import Testing

/// Evolution API `messages.upsert`: phone and LID senders, the CTWA block, echoes.
@Suite struct EvolutionWebhookParserTests {
    static let clid = "ARAxu7vKnkf-QP7MkA7nqgya2bKDeyTpnF42wYri2NsbkSc5rYvav1uUns4J7N9l2Hinh0dEdbSMe2JVOfOTeSBRg-Fk6OwLM3Cb36J"

    @Test(arguments: [("evolution-messages-upsert-ctwa", "3EB0A1F47C2D9B8E6F10"), ("evolution-messages-upsert-ctwa-lid", "3EB0C55D2A9E7F1B0D42")])
    func messageWithAdReferral(name: String, id: String) throws {
        let body = try InboundFixtures.bytes(name)
        let parse = WebhookProvider.evolution.parse(body, now: InboundFixtures.now)
        #expect(parse.rejected.isEmpty)
        let lead = try #require(parse.messages.first)
        #expect(parse.messages.count == 1)
        // The LID sender is reached by the phone in remoteJidAlt: same lane as a phone sender.
        #expect(lead.address.kind == .phone && lead.address.value == InboundFixtures.lead)
        #expect(lead.address.lane == Phone.hash(InboundFixtures.lead))
        let message = lead.message
        #expect(message.id == id)
        #expect(message.kind == .text)
        #expect(message.text == "Hello! Can I get more info on this?")
        #expect(message.receivedAt == 1_767_702_346_000)
        #expect(message.contact.profileName == "Camila Duarte")
        let referral = try #require(message.referral)
        #expect(referral["ctwa_clid"] == Self.clid)
        #expect(referral["source_id"] == "120219384756102938")
        #expect(referral["source_url"] == "https://fb.me/8kQz2Lm4P")
        #expect(referral["source_type"] == "ad")
        #expect(referral["headline"] == "Chat with us")
        #expect(referral["media_type"] == "image")
        #expect(referral["conversion_source"] == "FB_Ads")
        let raw = try #require(message.referralRaw)
        #expect(String(decoding: body, as: UTF8.self).contains(raw))
        #expect(raw.contains("\"ctwaClid\"") && raw.contains("\"showAdAttribution\""))
    }

    @Test func lidWithoutPhoneIsKeyedByTheLID() throws {
        let body = #"{"event":"messages.upsert","data":{"key":{"remoteJid":"204857391028374@lid","fromMe":false,"id":"ABC","addressingMode":"lid"},"message":{"conversation":"hi"},"messageTimestamp":1767702346}}"#
        let lead = try #require(WebhookProvider.evolution.parse(Array(body.utf8), now: 0).messages.first)
        #expect(lead.address.kind == .other)
        #expect(lead.address.value == "204857391028374@lid")
        // A hash of the LID, prefixed so it never passes for a phone hash (sinks send only those to Meta).
        #expect(lead.address.lane.hasPrefix("lid-") && Phone.isHash(String(lead.address.lane.dropFirst(4))))
        #expect(!Phone.isHash(lead.address.lane) && !lead.address.lane.contains("204857391028374"))
    }

    @Test func ownMessagesAndOtherEventsAreIgnored() {
        let echo = #"{"event":"messages.upsert","data":{"key":{"remoteJid":"15550100456@s.whatsapp.net","fromMe":true,"id":"E1"},"message":{"conversation":"our reply"}}}"#
        let echoParse = WebhookProvider.evolution.parse(Array(echo.utf8), now: 0)
        #expect(echoParse.messages.isEmpty && !echoParse.isMalformed)
        #expect(echoParse.ignored.first?.contains("fromMe") == true)
        let update = #"{"event":"connection.update","data":{"state":"open"}}"#
        #expect(WebhookProvider.evolution.parse(Array(update.utf8), now: 0).ignored == ["evolution connection.update event"])
    }

    @Test func imageWithCaptionAndUnknownMessageType() throws {
        let image = #"{"event":"MESSAGES_UPSERT","data":{"key":{"remoteJid":"15550100456@s.whatsapp.net","id":"I1"},"message":{"imageMessage":{"caption":"olha","mimetype":"image/jpeg"}},"messageType":"imageMessage"}}"#
        let media = try #require(WebhookProvider.evolution.parse(Array(image.utf8), now: 5).messages.first?.message)
        #expect(media.kind == .media && media.mediaType == "image" && media.caption == "olha")
        #expect(media.receivedAt == 5)
        let poll = #"{"event":"messages.upsert","data":{"key":{"remoteJid":"15550100456@s.whatsapp.net","id":"P1"},"message":{"pollCreationMessage":{}},"messageType":"pollCreationMessage"}}"#
        let other = try #require(WebhookProvider.evolution.parse(Array(poll.utf8), now: 5).messages.first?.message)
        #expect(other.kind == .other && other.mediaType == "pollCreationMessage")
    }
}
