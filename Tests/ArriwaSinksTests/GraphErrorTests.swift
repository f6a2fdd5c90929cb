import ArriwaRuntime
import ArriwaSinks
import Foundation
import Testing

/// How Meta's Graph errors become retries or dead letters.
@Suite struct GraphErrorTests {
    @Test func theInvalidEventFixtureIsPermanentAndKeepsMetasWords() throws {
        let body = try Data(contentsOf: SinksHarness.fixture("capi-error-invalid-event.json"))
        let error = try #require(GraphError.deliveryError(status: 400, body: body, what: "Meta CAPI"))
        #expect(error.kind == .permanent)
        #expect(error.message == "Meta CAPI answered HTTP 400: (#100/2804066) Messaging Event Invalid Event Type: "
                + "The event name is not supported for business messaging events. [fbtrace A1b2C3d4E5f6G7h8I9j0]")
    }

    @Test func rateLimitsAndTransientErrorsAreRetriedEvenWithHTTP400() {
        let audienceLimit = Data(#"{"error":{"message":"too many calls","code":80003}}"#.utf8)
        #expect(GraphError.deliveryError(status: 400, body: audienceLimit, what: "x")?.kind == .transient)
        let flagged = Data(#"{"error":{"message":"try again","code":100,"is_transient":true}}"#.utf8)
        #expect(GraphError.deliveryError(status: 400, body: flagged, what: "x")?.kind == .transient)
        #expect(GraphError.deliveryError(status: 429, body: Data(), what: "x")?.kind == .transient)
        #expect(GraphError.deliveryError(status: 503, body: Data("<html>".utf8), what: "x")?.kind == .transient)
        let token = Data(#"{"error":{"message":"Invalid OAuth access token.","code":190}}"#.utf8)
        #expect(GraphError.deliveryError(status: 401, body: token, what: "x")?.kind == .permanent)
        #expect(GraphError.deliveryError(status: 200, body: Data(), what: "x") == nil)
    }
}
