import ArriwaCore
import ArriwaTestSupport
import AsyncHTTPClient
import Foundation
import Testing
@testable import ArriwaChannels

/// Gupshup and Evolution sends over real HTTP against the fake provider's endpoints for them.
@Suite struct ProviderClientTests {
    static func run(_ body: (FakeWhatsAppProvider, ProviderClient) async throws -> Void) async throws {
        let fake = try await FakeWhatsAppProvider.start(.init(accessToken: "api-key"))
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        var failure: (any Error)?
        do {
            try await body(fake, ProviderClient(client: http, configuration: .init(timeout: .seconds(5))))
        } catch {
            failure = error
        }
        await fake.shutdown()
        try? await http.shutdown()
        if let failure { throw failure }
    }

    @Test func gupshupTextAndTemplateGoToTheirEndpointsWithTheAPIKey() async throws {
        try await Self.run { fake, client in
            let settings = ProviderSettings(kind: .gupshup, sender: "15550100123", baseURL: fake.baseURL, credential: "api-key",
                                            appName: "LeadQualBot")
            let id = try await client.send(.text("Olá"), to: "15550100456", settings: settings, idempotencyKey: "k1")
            let template = MessageContent.template(.init(name: "c6aecef6", language: "pt_BR", params: ["Camila"]))
            let second = try await client.send(template, to: "15550100456", settings: settings, idempotencyKey: "k2")
            let received = await fake.received()
            #expect(received.map(\.path) == ["/wa/api/v1/msg", "/wa/api/v1/template/msg"])
            #expect(received.map(\.type) == ["text", "template"])
            #expect(received.allSatisfy { $0.headers["apikey"] == "api-key" && $0.to == "15550100456" })
            #expect(received.first?.headers["content-type"] == "application/x-www-form-urlencoded")
            #expect(received.map(\.wamid) == [id, second])
        }
    }

    @Test func evolutionSendsTextToTheInstanceAndReadsKeyID() async throws {
        try await Self.run { fake, client in
            let settings = ProviderSettings(kind: .evolution, sender: "vendas-01", baseURL: fake.baseURL, credential: "api-key")
            let content = MessageContent.buttons(body: "Budget?", buttons: [.init(id: "a", title: "Low")], header: nil, footer: nil)
            let id = try await client.send(content, to: "15550100456", settings: settings, idempotencyKey: "k1")
            let received = try #require(await fake.received().first)
            #expect(received.path == "/message/sendText/vendas-01")
            #expect(received.json?["text"] as? String == "Budget?\n\n1. Low")
            #expect(received.wamid == id)
        }
    }

    @Test func aWrongKeyIsARefusalAnd5xxIsTechnical() async throws {
        try await Self.run { fake, client in
            let wrong = ProviderSettings(kind: .gupshup, sender: "1", baseURL: fake.baseURL, credential: "nope", appName: "A")
            do {
                _ = try await client.send(.text("x"), to: "15550100456", settings: wrong, idempotencyKey: "k")
                Issue.record("a wrong key was accepted")
            } catch {
                #expect(error as? SendFailure == .configuration("Gupshup answered HTTP 401: {\"message\":\"Authentication Failed\",\"status\":\"error\"}"))
            }
            let evolution = ProviderSettings(kind: .evolution, sender: "i", baseURL: fake.baseURL, credential: "api-key")
            await fake.inject(.serverError(status: 502), for: "15550100456")
            do {
                _ = try await client.send(.text("x"), to: "15550100456", settings: evolution, idempotencyKey: "k")
                Issue.record("a 502 was accepted")
            } catch {
                guard case .technical? = error as? SendFailure else {
                    Issue.record("a 502 is not technical: \(error)")
                    return
                }
            }
        }
    }
}
