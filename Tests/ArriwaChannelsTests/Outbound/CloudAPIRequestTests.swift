import ArriwaCore
import Foundation
import Testing
@testable import ArriwaChannels

/// The Cloud API bodies we build mean exactly what Meta's documented examples (the fixtures) mean.
@Suite struct CloudAPIRequestTests {
    let lead = "15550100456"

    @Test func textMatchesTheFixture() throws {
        let request = try CloudAPIRequest(content: .text("Oi Camila! Para te indicar o plano certo: qual é o seu orçamento mensal?"), to: lead)
        #expect(try Fixture.canonical(json: request.encoded()) == Fixture.canonical(Fixture.object("cloud-send-text")))
    }

    @Test func replyButtonsMatchTheFixture() throws {
        let content = MessageContent.buttons(
            body: "Qual é o seu orçamento para este projeto?",
            buttons: [.init(id: "budget_lt_1k", title: "Até R$1 mil"), .init(id: "budget_1k_5k", title: "R$1 a 5 mil"),
                      .init(id: "budget_5k_plus", title: "Mais de R$5 mil")],
            header: "Qualificação rápida", footer: "Responda tocando em um botão")
        let request = try CloudAPIRequest(content: content, to: lead,
                                          replyTo: "wamid.HBgLMTU1NTAxMDA0NTYVAgASGBQzQTlGMkM0MUQwN0I1RThBMUM2RgA=")
        #expect(try Fixture.canonical(json: request.encoded()) == Fixture.canonical(Fixture.object("cloud-send-buttons")))
    }

    @Test func listMatchesTheFixture() throws {
        let content = MessageContent.list(
            body: "Quando você pretende começar?", button: "Ver opções",
            sections: [
                .init(title: "Em breve", rows: [
                    .init(id: "timeline_7d", title: "Esta semana", description: "Quero começar nos próximos 7 dias"),
                    .init(id: "timeline_30d", title: "Next 30 days", description: "Ready to start this month"),
                ]),
                .init(title: "Mais tarde", rows: [
                    .init(id: "timeline_90d", title: "Em até 3 meses"),
                    .init(id: "timeline_research", title: "Só pesquisando", description: "Ainda sem data definida"),
                ]),
            ],
            header: "Prazo", footer: "Escolha uma opção")
        let request = try CloudAPIRequest(content: content, to: lead)
        #expect(try Fixture.canonical(json: request.encoded()) == Fixture.canonical(Fixture.object("cloud-send-list")))
    }

    @Test func templateWithParametersAndQuickRepliesMatchesTheFixture() throws {
        let content = MessageContent.template(.init(name: "lead_followup_v2", language: "pt_BR", params: ["Camila", "plano anual"]))
        let request = try CloudAPIRequest(content: content, to: lead, quickReplyPayloads: ["REENGAGE_YES", "REENGAGE_NO"])
        #expect(try Fixture.canonical(json: request.encoded()) == Fixture.canonical(Fixture.object("cloud-send-template")))
    }

    @Test func templateWithoutParametersHasNoComponents() throws {
        let request = try CloudAPIRequest(content: .template(.init(name: "hello_world", language: "en_US", params: [])), to: lead)
        let object = try #require(try JSONSerialization.jsonObject(with: request.encoded()) as? [String: Any])
        let template = try #require(object["template"] as? [String: Any])
        #expect(template["components"] == nil)
        #expect(template["name"] as? String == "hello_world")
    }

    @Test func aBusinessScopedUserIDGoesInRecipientNotTo() throws {
        let request = try CloudAPIRequest(content: .text("Hi"), to: "US.13491208655302741918", bsuid: true)
        let object = try #require(try JSONSerialization.jsonObject(with: request.encoded()) as? [String: Any])
        #expect(object["recipient"] as? String == "US.13491208655302741918")
        #expect(object["to"] == nil)
    }

    @Test func urlIsVersionPhoneNumberIDMessages() {
        let settings = ProviderSettings(kind: .cloudAPI, sender: "118374659201847", baseURL: "https://graph.facebook.com/",
                                        credential: "t")
        #expect(CloudAPIRequest.url(settings) == "https://graph.facebook.com/v23.0/118374659201847/messages")
    }

    @Test(arguments: [
        (MessageContent.text(String(repeating: "a", count: 4097)), "text.body"),
        (.text(""), "text.body"),
        (.buttons(body: "b", buttons: (1...4).map { .init(id: "b\($0)", title: "t\($0)") }, header: nil, footer: nil),
         "interactive.action.buttons"),
        (.buttons(body: "b", buttons: [.init(id: "x", title: String(repeating: "t", count: 21))], header: nil, footer: nil),
         "interactive.action.buttons[0].reply.title"),
        (.buttons(body: "b", buttons: [.init(id: "x", title: "A"), .init(id: "x", title: "B")], header: nil, footer: nil),
         "interactive.action.buttons"),
        (.buttons(body: "b", buttons: [.init(id: "x", title: "A")], header: nil, footer: String(repeating: "f", count: 61)),
         "interactive.footer.text"),
        (.list(body: "b", button: "Choose", sections: [.init(title: nil, rows: (1...11).map { .init(id: "r\($0)", title: "R\($0)") })],
               header: nil, footer: nil), "interactive.action.sections"),
        (.list(body: "b", button: "Choose", sections: [.init(title: "A", rows: [.init(id: "a", title: "A")]),
                                                       .init(title: nil, rows: [.init(id: "b", title: "B")])], header: nil, footer: nil),
         "interactive.action.sections[1].title"),
        (.list(body: "b", button: "Choose",
               sections: [.init(title: nil, rows: [.init(id: "a", title: "A", description: String(repeating: "d", count: 73))])],
               header: nil, footer: nil), "interactive.action.sections[0].rows[0].description"),
        (.list(body: "b", button: String(repeating: "c", count: 21), sections: [.init(title: nil, rows: [.init(id: "a", title: "A")])],
               header: nil, footer: nil), "interactive.action.button"),
    ])
    func contentOverWhatsAppLimitsIsRefusedNamingTheField(content: MessageContent, field: String) {
        let failure = sendFailure { _ = try CloudAPIRequest(content: content, to: lead) }
        guard case .invalidContent(let named, _)? = failure else {
            Issue.record("expected invalidContent, got \(String(describing: failure))")
            return
        }
        #expect(named == field)
    }
}
