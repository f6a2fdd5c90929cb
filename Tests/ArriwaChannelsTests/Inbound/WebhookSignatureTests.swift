import ArriwaChannels
import Foundation
import Testing

/// X-Hub-Signature-256 against the fixture's test vector, and Meta's GET handshake decisions.
@Suite struct WebhookSignatureTests {
    struct Vector {
        var secret: String
        var body: [UInt8]
        var header: String
    }

    func vector() throws -> Vector {
        let object = try InboundFixtures.object("cloud-signature-test-vector")
        return Vector(secret: try #require(object["app_secret"] as? String), body: Array(try #require(object["raw_body"] as? String).utf8),
                      header: try #require(object["header_value"] as? String))
    }

    @Test func testVectorVerifies() throws {
        let v = try vector()
        #expect(WebhookSignature.verifyCloud(body: v.body, header: v.header, appSecret: v.secret))
        #expect(WebhookSignature.cloudHeaderValue(body: v.body, appSecret: v.secret) == v.header)
        #expect(WebhookSignature.verifyCloud(body: v.body, header: v.header.uppercased().replacingOccurrences(of: "SHA256=", with: "sha256="),
                                             appSecret: v.secret))
    }

    @Test func anyChangeFails() throws {
        let v = try vector()
        // Re-serialized JSON (the escapes decoded) is a different byte string.
        let reserialized = try JSONSerialization.data(withJSONObject: JSONSerialization.jsonObject(with: Data(v.body)))
        #expect(!WebhookSignature.verifyCloud(body: Array(reserialized), header: v.header, appSecret: v.secret))
        var flipped = v.body
        flipped[10] ^= 0x01
        #expect(!WebhookSignature.verifyCloud(body: flipped, header: v.header, appSecret: v.secret))
        #expect(!WebhookSignature.verifyCloud(body: v.body, header: v.header, appSecret: "another_secret"))
        #expect(!WebhookSignature.verifyCloud(body: v.body, header: nil, appSecret: v.secret))
        #expect(!WebhookSignature.verifyCloud(body: v.body, header: "sha256=zz", appSecret: v.secret))
        #expect(!WebhookSignature.verifyCloud(body: v.body, header: String(v.header.dropLast(2)), appSecret: v.secret))
    }

    @Test func handshakeFromTheFixture() throws {
        let object = try InboundFixtures.object("cloud-webhook-verify-get")
        let query = try #require((object["request"] as? [String: Any])?["query"] as? [String: String])
        let expected = try #require(object["expected_response"] as? [String: Any])
        let answer = CloudVerification.answer(mode: query["hub.mode"], token: query["hub.verify_token"], challenge: query["hub.challenge"],
                                              verifyToken: "my-verify-token-123")
        #expect(answer == .accepted(challenge: try #require(expected["body"] as? String)))
        let wrong = CloudVerification.answer(mode: query["hub.mode"], token: "nope", challenge: query["hub.challenge"],
                                             verifyToken: "my-verify-token-123")
        #expect(wrong == .refused("hub.verify_token does not match"))
        #expect(CloudVerification.answer(mode: "unsubscribe", token: query["hub.verify_token"], challenge: "1",
                                         verifyToken: "my-verify-token-123") == .refused("hub.mode is not subscribe"))
        #expect(CloudVerification.answer(mode: "subscribe", token: "x", challenge: "1", verifyToken: nil)
            == .refused("no verify token is configured for the tenant"))
    }

    @Test func secretsMatchOnlyWhenEqual() {
        #expect(WebhookSignature.secretsMatch("abc", "abc"))
        #expect(!WebhookSignature.secretsMatch("abd", "abc"))
        #expect(!WebhookSignature.secretsMatch("abc", nil))
        #expect(!WebhookSignature.secretsMatch(nil, "abc"))
        #expect(!WebhookSignature.secretsMatch("", ""))
    }
}
