import Foundation
import Testing
@testable import ArriwaChannels

/// Providers' answers become a message id or the failure the fixtures' codes mean.
@Suite struct ProviderResponseTests {
    @Test func cloudSuccessGivesTheWamid() throws {
        #expect(try ProviderResponse.cloudAPI(status: 200, body: Fixture.data("cloud-send-response"))
            == "wamid.HBgLMTU1NTAxMDA0NTYVAgARGBI1RjQyNUE3NEYxMzAzMzQ5MkEA")
        #expect(try ProviderResponse.cloudAPI(status: 200, body: Fixture.data("cloud-send-response-template"))
            == "wamid.HBgLMTU1NTAxMDA0NTYVAgARGBJFMzVBMDk2QjdDMTJGNDhEMDEA")
    }

    @Test func cloudErrorCodesMapToWhatTheFunnelDoes() throws {
        #expect(throws: SendFailure.outsideWindow(code: 131047, detail: "Message failed to send because more than 24 hours have passed since the customer last replied to this number.")) {
            _ = try ProviderResponse.cloudAPI(status: 400, body: Fixture.data("cloud-error-131047"))
        }
        let pair = try Fixture.data("cloud-error-131056")
        #expect(sendFailure { _ = try ProviderResponse.cloudAPI(status: 400, body: pair) }?.code == 131056)
        if case .pairRateLimit? = sendFailure({ _ = try ProviderResponse.cloudAPI(status: 400, body: pair) }) {} else {
            Issue.record("131056 is not a pair rate limit")
        }
        let throughput = try Fixture.data("cloud-error-130429")
        let failure = sendFailure { _ = try ProviderResponse.cloudAPI(status: 400, body: throughput) }
        if case .throughput(let code, _)? = failure {
            #expect(code == 130429)
        } else {
            Issue.record("130429 is not a throughput limit: \(String(describing: failure))")
        }
    }

    @Test func cloud5xxWithoutABodyIsTechnical() {
        let failure = sendFailure { _ = try ProviderResponse.cloudAPI(status: 503, body: Data("upstream error".utf8)) }
        if case .technical? = failure {} else { Issue.record("a bare 503 is not technical: \(String(describing: failure))") }
    }

    @Test func refusedCredentialsAreConfigurationNotLeadFailures() {
        let expired = Data(#"{"error":{"message":"Error validating access token","type":"OAuthException","code":190}}"#.utf8)
        if case .configuration? = sendFailure({ _ = try ProviderResponse.cloudAPI(status: 401, body: expired) }) {} else {
            Issue.record("an expired token (190) must not count against the lead")
        }
        if case .configuration? = sendFailure({ _ = try ProviderResponse.gupshup(status: 401, body: Data(#"{"status":"error","message":"Authentication Failed"}"#.utf8)) }) {} else {
            Issue.record("Gupshup's 401 must not count against the lead")
        }
    }

    @Test func cloudOtherCodesAreRefusals() {
        let body = Data(#"{"error":{"message":"(#132001) Template name does not exist","code":132001,"error_data":{"details":"no such template"}}}"#.utf8)
        #expect(throws: SendFailure.rejected(code: 132001, detail: "no such template")) {
            _ = try ProviderResponse.cloudAPI(status: 400, body: body)
        }
    }

    @Test func evolutionNumberNotOnWhatsAppIsUndeliverable() {
        let body = Data(#"{"status":400,"error":"Bad Request","response":{"message":[{"exists":false,"jid":"15550100456@s.whatsapp.net","number":"15550100456"}]}}"#.utf8)
        #expect(sendFailure { _ = try ProviderResponse.evolution(status: 400, body: body) }?.code == 131026)
    }

    @Test func echoedNumbersAreRedacted() {
        let failure = SendFailure.rejected(code: nil, detail: "Evolution API answered HTTP 400: {\"number\":\"15550100456\"}")
        #expect(!failure.redacting("15550100456").description.contains("15550100456"))
        #expect(failure.redacting("15550100456").description.contains("<recipient>"))
    }

    @Test func gupshupAndEvolutionIDs() throws {
        #expect(try ProviderResponse.gupshup(status: 202, body: Fixture.data("gupshup-send-response")) == "ee4a68a0-1203-4c85-8dc3-49d0b3226a35")
        #expect(try ProviderResponse.evolution(status: 201, body: Fixture.data("evolution-send-response")) == "3EB0F2C8A1D94E7B5C63")
        #expect(throws: SendFailure.rejected(code: nil, detail: "Gupshup HTTP 400: Invalid Destination")) {
            _ = try ProviderResponse.gupshup(status: 400, body: Data(#"{"status":"error","message":"Invalid Destination"}"#.utf8))
        }
    }
}
