import ArriwaCore
import Foundation
import Testing

/// `OutboundMessage`, `Emission` and `InboundMessage` keep their fields in a copy-on-write box
/// (shared by the effect and the session's last outbound message, by the event and the turn):
/// they must still behave as the plain structs they were — the same JSON the outbox and the stores persist, value semantics, equality and hashing
/// by content.
@Suite struct EngineBoxedValuesTests {
    /// The JSON form of the plain struct (keys sorted), as stored outboxes and session states hold it.
    static let storedJSON = #"{"content":{"buttons":{"body":"Which treatment?","buttons":[{"id":"implants","title":"Implants"}]}},"#
        + #""fallbackTemplate":{"language":"en","name":"qualification_resume","params":["Q1"]},"id":"s-m1","origin":"qualification/ask","#
        + #""phoneHash":"h","purpose":"flow","sessionID":"s","step":"Q1","subscriberID":"sub","windowOpen":true}"#

    @Test func outboundMessageKeepsItsJSONForm() throws {
        let decoded = try JSONDecoder().decode(OutboundMessage.self, from: Data(Self.storedJSON.utf8))
        #expect(decoded.id == "s-m1" && decoded.sessionID == "s" && decoded.subscriberID == "sub" && decoded.phoneHash == "h")
        #expect(decoded.origin == "qualification/ask" && decoded.purpose == .flow && decoded.windowOpen && decoded.step == "Q1")
        #expect(decoded.replaces == nil)
        #expect(decoded.fallbackTemplate == MessageContent.TemplateMessage(name: "qualification_resume", language: "en", params: ["Q1"]))
        #expect(decoded.content == .buttons(body: "Which treatment?", buttons: [.init(id: "implants", title: "Implants")],
                                            header: nil, footer: nil))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(String(decoding: try encoder.encode(decoded), as: UTF8.self) == Self.storedJSON)
    }

    @Test func outboundMessageIsAValue() throws {
        let original = try JSONDecoder().decode(OutboundMessage.self, from: Data(Self.storedJSON.utf8))
        var copy = original
        copy.id = "s-m2"
        copy.replaces = "s-m1"
        copy.purpose = .retry
        #expect(original.id == "s-m1" && original.replaces == nil && original.purpose == .flow)
        #expect(copy.id == "s-m2" && copy.replaces == "s-m1" && copy.purpose == .retry && copy.origin == original.origin)
        #expect(copy != original)
        // Equal contents in separate boxes are equal and hash alike.
        var back = copy
        back.id = "s-m1"
        back.replaces = nil
        back.purpose = .flow
        #expect(back == original)
        #expect(back.hashValue == original.hashValue)
        #expect(Set([back, original]).count == 1)
    }

    /// An emission's JSON form as the plain struct wrote it (keys sorted; absent optionals omitted).
    static let storedEmissionJSON = #"{"answer":"implants","answerRaw":"Implants","attribution":{"ctwa_clid":"c1"},"#
        + #""audiencesAdd":["CA_QUAL_Q1","CA_TREATMENT_IMPLANTS"],"audiencesRemove":[],"confidence":1,"#
        + #""crmFields":{"cf_treatment":"Implants"},"crmNote":"Q1: implants (confidence 1)","crmTags":[],"data":{},"#
        + #""entry":"ctwa","event":"QUALIFY_Q1","eventTime":1772442000000,"key":"s-q1-0123456789abcdef","#
        + #""origin":"qualification/record","phoneHash":"h","sessionID":"s","sinks":["capi","crm"],"step":"Q1","#
        + #""stream":"GOOD","subscriberID":"sub"}"#

    @Test func emissionKeepsItsJSONFormAndIsAValue() throws {
        let decoded = try JSONDecoder().decode(Emission.self, from: Data(Self.storedEmissionJSON.utf8))
        #expect(decoded.key == "s-q1-0123456789abcdef" && decoded.event == "QUALIFY_Q1" && decoded.stream == .GOOD)
        #expect(decoded.sinks == ["capi", "crm"] && decoded.eventTime == 1_772_442_000_000 && decoded.confidence == 1)
        #expect(decoded.value == nil && decoded.currency == nil && decoded.crmStage == nil)
        #expect(decoded.audiencesAdd == ["CA_QUAL_Q1", "CA_TREATMENT_IMPLANTS"] && decoded.crmFields == ["cf_treatment": "Implants"])
        #expect(decoded.attribution == ["ctwa_clid": "c1"] && decoded.entry == "ctwa")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(String(decoding: try encoder.encode(decoded), as: UTF8.self) == Self.storedEmissionJSON)
        var copy = decoded
        copy.crmStage = "Qualified"
        copy.audiencesAdd.append("A2_QUALIFIED")
        #expect(decoded.crmStage == nil && decoded.audiencesAdd.count == 2)
        #expect(copy != decoded)
        copy.crmStage = nil
        copy.audiencesAdd.removeLast()
        #expect(copy == decoded && copy.hashValue == decoded.hashValue)
    }

    /// An inbound message as the plain struct wrote it into the inbox (keys sorted; absent optionals omitted).
    static let storedInboundJSON = #"{"contact":{"language":"es","phoneHash":"h","profileName":"Ana","subscriberID":"sub"},"#
        + #""id":"wamid.A1","kind":"button","receivedAt":1772442000000,"referral":{"ctwa_clid":"c1","source_id":"ad-7"},"#
        + #""referralRaw":"{\"ctwa_clid\":\"c1\"}","replyID":"implants","replyTitle":"Implants","text":""}"#

    @Test func inboundMessageKeepsItsJSONFormAndIsAValue() throws {
        let decoded = try JSONDecoder().decode(InboundMessage.self, from: Data(Self.storedInboundJSON.utf8))
        #expect(decoded.id == "wamid.A1" && decoded.kind == .button && decoded.text.isEmpty)
        #expect(decoded.replyID == "implants" && decoded.replyTitle == "Implants" && decoded.caption == nil && decoded.mediaType == nil)
        #expect(decoded.receivedAt == 1_772_442_000_000 && decoded.referral == ["ctwa_clid": "c1", "source_id": "ad-7"])
        #expect(decoded.contact == Contact(subscriberID: "sub", phoneHash: "h", profileName: "Ana", language: "es"))
        #expect(decoded.effectiveText == "Implants")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(String(decoding: try encoder.encode(decoded), as: UTF8.self) == Self.storedInboundJSON)
        // A write to a copy leaves the original as it was.
        var copy = decoded
        copy.text = "Implants please"
        copy.contact.language = "en"
        copy.referral = nil
        #expect(decoded.text.isEmpty && decoded.contact.language == "es" && decoded.referral?["ctwa_clid"] == "c1")
        #expect(copy.effectiveText == "Implants please" && copy != decoded)
        // Equal contents in separate boxes are equal and hash alike; an event carries it unchanged.
        copy.text = ""
        copy.contact.language = "es"
        copy.referral = ["source_id": "ad-7", "ctwa_clid": "c1"]
        #expect(copy == decoded && copy.hashValue == decoded.hashValue)
        #expect(EngineEvent.inbound(copy) == EngineEvent.inbound(decoded))
        let event = try JSONDecoder().decode(EngineEvent.self, from: JSONEncoder().encode(EngineEvent.inbound(decoded)))
        #expect(event == .inbound(decoded))
    }

    @Test func aSessionsLastOutboundMessageIsTheSentOne() throws {
        let program = try Harness.program()
        let contact = Contact(subscriberID: "sub-1", phoneHash: "phone-1", language: "en")
        let event = EngineEvent.inbound(InboundMessage(id: "wamid.1", text: "Hi", receivedAt: Harness.t0, contact: contact))
        guard case .completed(let state?, let effects) = Engine(program: program).handle(nil, event, now: Harness.t0) else {
            Issue.record("the first message did not complete with a state")
            return
        }
        let sent = effects.compactMap { effect -> OutboundMessage? in if case .send(let m) = effect { m } else { nil } }
        #expect(sent.count == 1)
        #expect(state.lastOutbound?.message == sent.first)
        // The state's JSON round-trips with the message in it.
        let decoded = try JSONDecoder().decode(SessionState.self, from: JSONEncoder().encode(state))
        #expect(decoded == state)
        #expect(decoded.lastOutbound?.message.content == sent.first?.content)
    }
}
