import ArriwaCore
import Foundation
import Testing
@testable import ArriwaChannels

/// Gupshup's form fields and Evolution's JSON body mean what the fixtures document.
@Suite struct GupshupEvolutionRequestTests {
    /// The form as field → value, with the JSON-valued fields parsed and put in canonical form.
    static func meaning(_ fields: [String: Any]) throws -> [String: String] {
        var result: [String: String] = [:]
        for (name, value) in fields {
            let text = try #require(value as? String)
            if ["message", "template", "postbackTexts"].contains(name) {
                result[name] = try Fixture.canonical(json: Data(text.utf8))
            } else {
                result[name] = text
            }
        }
        return result
    }

    static func decodeForm(_ body: Data) -> [String: Any] {
        var components = URLComponents()
        components.percentEncodedQuery = String(decoding: body, as: UTF8.self)
        var fields: [String: Any] = [:]
        for item in components.queryItems ?? [] { fields[item.name] = item.value ?? "" }
        return fields
    }

    @Test func gupshupTextMatchesTheFixtureAndSurvivesFormEncoding() throws {
        let request = try GupshupRequest(content: .text("Oi Camila! Qual é o seu orçamento mensal?"), source: "15550100123",
                                         destination: "15550100456", appName: "LeadQualBot")
        #expect(request.path == "wa/api/v1/msg")
        let expected = try Self.meaning(Fixture.object("gupshup-send-text"))
        #expect(try Self.meaning(Dictionary(uniqueKeysWithValues: request.fields.map { ($0.0, $0.1 as Any) })) == expected)
        #expect(try Self.meaning(Self.decodeForm(request.encodedBody())) == expected)
    }

    @Test func gupshupTemplateMatchesTheFixture() throws {
        let content = MessageContent.template(.init(name: "c6aecef6-bcb0-4fb1-8100-28c094e3bc6b", language: "pt_BR",
                                                    params: ["Camila", "plano anual"]))
        let request = try GupshupRequest(content: content, source: "15550100123", destination: "15550100456", appName: "LeadQualBot",
                                         quickReplyPayloads: ["REENGAGE_YES", "REENGAGE_NO"])
        #expect(request.path == "wa/api/v1/template/msg")
        let settings = ProviderSettings(kind: .gupshup, sender: "15550100123", baseURL: "https://api.gupshup.io", credential: "k")
        #expect(request.url(settings) == "https://api.gupshup.io/wa/api/v1/template/msg")
        #expect(try Self.meaning(Self.decodeForm(request.encodedBody())) == Self.meaning(Fixture.object("gupshup-send-template")))
    }

    @Test func gupshupButtonsAreAQuickReplyWithPostbackTexts() throws {
        let content = MessageContent.buttons(body: "Qual é o seu orçamento?",
                                             buttons: [.init(id: "budget_lt_1k", title: "Até R$1 mil")], header: "Qualificação",
                                             footer: "Toque em uma opção")
        let request = try GupshupRequest(content: content, source: "1", destination: "2", appName: "A")
        let message = try #require(request.fields.first { $0.0 == "message" }?.1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(message.utf8)) as? [String: Any])
        #expect(object["type"] as? String == "quick_reply")
        let options = try #require(object["options"] as? [[String: Any]])
        #expect(options.first?["postbackText"] as? String == "budget_lt_1k")
        #expect(options.first?["title"] as? String == "Até R$1 mil")
    }

    @Test func evolutionTextMatchesTheFixture() throws {
        let request = try EvolutionRequest(content: .text("Oi Camila! Qual é o seu orçamento mensal?"), number: "15550100456", delay: 1200)
        #expect(try Fixture.canonical(json: request.encoded()) == Fixture.canonical(Fixture.object("evolution-send-text")))
        let settings = ProviderSettings(kind: .evolution, sender: "vendas-01", baseURL: "http://evolution.internal:8080", credential: "k")
        #expect(EvolutionRequest.url(settings) == "http://evolution.internal:8080/message/sendText/vendas-01")
    }

    @Test func evolutionSendsButtonsAsNumberedTextAndRefusesTemplates() throws {
        let content = MessageContent.buttons(body: "Budget?", buttons: [.init(id: "a", title: "Low"), .init(id: "b", title: "High")],
                                             header: nil, footer: nil)
        let request = try EvolutionRequest(content: content, number: "15550100456")
        #expect(request.text == "Budget?\n\n1. Low\n2. High")
        #expect(throws: SendFailure.self) {
            _ = try EvolutionRequest(content: .template(.init(name: "t", language: "en", params: [])), number: "1")
        }
    }
}
