import ArriwaChannels
import ArriwaCore
import Testing

/// What the parsers produce feeds the engine's entry-point detection (SPEC §1): the CTWA referral,
/// QR parameters in the prefilled text, utm tags of a direct link (and from referral.source_url).
@Suite struct EntryPointFeedTests {
    func cloudText(_ text: String, referral: String? = nil) throws -> InboundMessage {
        let referralPart = referral.map { #","referral":"# + $0 } ?? ""
        let body = #"{"entry":[{"changes":[{"value":{"contacts":[{"wa_id":"15550100456"}],"messages":[{"from":"15550100456","id":"wamid.E","timestamp":"1767702341","type":"text","text":{"body":"\#(text)"}\#(referralPart)}]}}]}]}"#
        return try #require(WebhookProvider.cloud.parse(Array(body.utf8), now: 0).messages.first?.message)
    }

    @Test func cloudReferralIsACTWAEntry() throws {
        let parse = WebhookProvider.cloud.parse(try InboundFixtures.bytes("cloud-inbound-ctwa-referral"), now: 0)
        let message = try #require(parse.messages.first?.message)
        let entry = EntryPoint.detect(message)
        #expect(entry.kind == "ctwa")
        #expect(entry.idPrefix == "ctwa_fb")
        #expect(entry.attribution["ad_id"] == "120219384756102938")
        #expect(entry.attribution["ctwa_clid"]?.hasPrefix("ARAxu7vKnkf") == true)
        #expect(entry.sessionID(subscriberID: "s1", at: message.receivedAt) == "ctwa_fb_s1_1767702346000")
    }

    @Test(arguments: ["evolution-messages-upsert-ctwa", "evolution-messages-upsert-ctwa-lid", "gupshup-inbound-v3-ctwa-referral"])
    func otherProvidersReferralsAreCTWAEntries(name: String) throws {
        let provider: WebhookProvider = name.hasPrefix("evolution") ? .evolution : .gupshup
        let message = try #require(provider.parse(try InboundFixtures.bytes(name), now: 0).messages.first?.message)
        let entry = EntryPoint.detect(message)
        #expect(entry.kind == "ctwa")
        #expect(entry.attribution["ad_id"] == "120219384756102938")
        #expect(entry.attribution["ctwa_clid"]?.hasPrefix("ARAxu7vKnkf") == true)
    }

    @Test func utmFallbackFromTheReferralSourceURL() throws {
        let message = try cloudText("hi", referral: #"{"source_url":"https://example.com/lp?utm_source=fb&utm_campaign=implants","source_id":"77","source_type":"ad"}"#)
        let entry = EntryPoint.detect(message)
        #expect(entry.kind == "ctwa")
        #expect(entry.attribution["utm_source"] == "fb")
        #expect(entry.attribution["utm_campaign"] == "implants")
        #expect(entry.attribution["ad_id"] == "77")
    }

    @Test func qrParametersFromThePrefilledText() throws {
        let entry = EntryPoint.detect(try cloudText("QR_CLINIC1 product_id=implant&location_id=sp01&promo_code=SMILE"))
        #expect(entry.kind == "qr")
        #expect(entry.idPrefix == "qr_implant")
        #expect(entry.attribution["location_id"] == "sp01")
        #expect(entry.attribution["promo_code"] == "SMILE")
    }

    @Test func utmTagsOfADirectLink() throws {
        let entry = EntryPoint.detect(try cloudText("Hello utm_source=instagram&utm_medium=bio"))
        #expect(entry.kind == "link")
        #expect(entry.idPrefix == "link_instagram")
        #expect(entry.attribution["utm_medium"] == "bio")
    }

    @Test func plainTextIsOrganic() throws {
        let entry = EntryPoint.detect(try cloudText("Quero saber o preço"))
        #expect(entry.kind == "organic")
        #expect(entry.idPrefix == "direct")
    }
}
