import Foundation
import Testing
@testable import ArriwaChannels

/// tenant.yaml `provider:` plus the environment make the settings; problems name the key or variable.
@Suite struct ProviderSettingsTests {
    static let cloud = """
    tenant: demo
    provider:
      kind: cloud_api
      phone_number_id: "106540352242922"
      access_token_env: DEMO_WA_TOKEN
      app_secret_env: DEMO_APP_SECRET
    """

    @Test func cloudReadsTheTokenFromTheNamedVariable() throws {
        let settings = try ProviderSettings.parse(tenantYAML: Self.cloud, tenant: "demo", environment: ["DEMO_WA_TOKEN": "EAAG-secret"])
        #expect(settings.kind == .cloudAPI)
        #expect(settings.sender == "106540352242922")
        #expect(settings.credential == "EAAG-secret")
        #expect(settings.baseURL == "https://graph.facebook.com")
        #expect(!settings.description.contains("EAAG-secret"))
    }

    @Test func theEnvironmentOverridesTheBaseURLAndVersion() throws {
        let settings = try ProviderSettings.parse(tenantYAML: Self.cloud, tenant: "demo", environment: [
            "DEMO_WA_TOKEN": "t", "ARRIWA_WHATSAPP_BASE_URL": "http://127.0.0.1:8090/", "ARRIWA_WHATSAPP_API_VERSION": "v99.0",
        ])
        #expect(CloudAPIRequest.url(settings) == "http://127.0.0.1:8090/v99.0/106540352242922/messages")
    }

    @Test func aMissingCredentialNamesTheVariable() {
        #expect(throws: SendFailure.configuration("tenant demo: environment variable DEMO_WA_TOKEN (provider.access_token_env) is not set")) {
            _ = try ProviderSettings.parse(tenantYAML: Self.cloud, tenant: "demo", environment: [:])
        }
    }

    @Test func gupshupAndEvolutionNeedTheirOwnKeys() throws {
        let gupshup = """
        provider:
          kind: gupshup
          phone_number_id: "15550100123"
          app_name: LeadQualBot
          api_key_env: GS_KEY
        """
        let settings = try ProviderSettings.parse(tenantYAML: gupshup, tenant: "t", environment: ["GS_KEY": "k"])
        #expect(settings.appName == "LeadQualBot")
        #expect(settings.baseURL == "https://api.gupshup.io")
        let evolution = """
        provider:
          kind: evolution
          instance: vendas-01
          api_key_env: EVO_KEY
        """
        #expect(throws: SendFailure.configuration("tenant t: provider.base_url (or ARRIWA_EVOLUTION_BASE_URL) is not set")) {
            _ = try ProviderSettings.parse(tenantYAML: evolution, tenant: "t", environment: ["EVO_KEY": "k"])
        }
        let withBase = try ProviderSettings.parse(tenantYAML: evolution, tenant: "t",
                                                  environment: ["EVO_KEY": "k", "ARRIWA_EVOLUTION_BASE_URL": "http://evo:8080"])
        #expect(EvolutionRequest.url(withBase) == "http://evo:8080/message/sendText/vendas-01")
    }

    @Test func aTenantWithoutProviderOnlyRecords() throws {
        #expect(try ProviderSettings.parse(tenantYAML: "tenant: t\n", tenant: "t", environment: [:]).kind == .fake)
    }

    @Test func anUnknownKindIsRefused() {
        #expect(throws: SendFailure.self) {
            _ = try ProviderSettings.parse(tenantYAML: "provider:\n  kind: telegram\n", tenant: "t", environment: [:])
        }
    }
}
