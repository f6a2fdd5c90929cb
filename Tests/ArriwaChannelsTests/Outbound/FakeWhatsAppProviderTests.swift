import ArriwaTestSupport
import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import Testing

/// The fake provider answers sends as Meta does and posts signed status webhooks back.
@Suite struct FakeWhatsAppProviderTests {
    static let appSecret = "test_app_secret_0123456789abcdef"

    static func send(_ fake: FakeWhatsAppProvider, client: HTTPClient, to: String, type: String = "text") async throws -> [String: Any] {
        var request = HTTPClientRequest(url: "\(fake.baseURL)/v23.0/118374659201847/messages")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer token")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: #"{"messaging_product":"whatsapp","recipient_type":"individual","to":"\#(to)","type":"\#(type)"}"#))
        let response = try await client.execute(request, timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 1 << 16)
        var object = try #require(try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any])
        object["_status"] = Int(response.status.code)
        return object
    }

    static func statuses(_ received: [FakeWebhookReceiver.Received]) throws -> [[String: Any]] {
        try received.flatMap { request -> [[String: Any]] in
            let object = try #require(try JSONSerialization.jsonObject(with: request.body) as? [String: Any])
            let entry = try #require((object["entry"] as? [[String: Any]])?.first)
            let value = try #require((entry["changes"] as? [[String: Any]])?.first?["value"] as? [String: Any])
            return value["statuses"] as? [[String: Any]] ?? []
        }
    }

    @Test func acceptedSendsGetSignedSentDeliveredReadWebhooksInOrder() async throws {
        let receiver = try await FakeWebhookReceiver.start()
        let fake = try await FakeWhatsAppProvider.start(.init(accessToken: "token",
                                                              webhook: .init(url: receiver.url, format: .cloud(appSecret: Self.appSecret))))
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { Task { try? await client.shutdown() } }
        let answer = try await Self.send(fake, client: client, to: "15550100456")
        #expect(answer["_status"] as? Int == 200)
        let wamid = try #require((answer["messages"] as? [[String: Any]])?.first?["id"] as? String)
        #expect((answer["contacts"] as? [[String: Any]])?.first?["wa_id"] as? String == "15550100456")
        let deadline = ContinuousClock.now + .seconds(5)
        while await receiver.received().count < 3, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let received = await receiver.received()
        #expect(received.count == 3)
        for request in received {
            let mac = HMAC<SHA256>.authenticationCode(for: request.body, using: SymmetricKey(data: Data(Self.appSecret.utf8)))
            #expect(request.headers["x-hub-signature-256"] == "sha256=" + mac.map { String(format: "%02x", $0) }.joined())
        }
        let statuses = try Self.statuses(received)
        #expect(statuses.map { $0["status"] as? String } == ["sent", "delivered", "read"])
        #expect(statuses.allSatisfy { $0["id"] as? String == wamid && $0["recipient_id"] as? String == "15550100456" })
        #expect(statuses.allSatisfy { ($0["timestamp"] as? String).flatMap(Int.init) != nil }, "timestamps are strings of seconds")
        await fake.shutdown()
        await receiver.shutdown()
    }

    @Test func injectedFailuresAnswerAsMetaDoes() async throws {
        let receiver = try await FakeWebhookReceiver.start()
        let fake = try await FakeWhatsAppProvider.start(.init(accessToken: "token",
                                                              webhook: .init(url: receiver.url, format: .cloud(appSecret: Self.appSecret))))
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { Task { try? await client.shutdown() } }
        await fake.inject(.error(code: 131056), for: "1555")
        await fake.inject(.failedStatus(code: 131026), for: "1555")
        let refused = try await Self.send(fake, client: client, to: "1555")
        #expect(refused["_status"] as? Int == 400)
        let error = try #require(refused["error"] as? [String: Any])
        #expect(error["code"] as? Int == 131056)
        #expect((error["error_data"] as? [String: Any])?["messaging_product"] as? String == "whatsapp")
        let accepted = try await Self.send(fake, client: client, to: "1555")
        #expect(accepted["_status"] as? Int == 200)
        let deadline = ContinuousClock.now + .seconds(5)
        while await receiver.received().isEmpty, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let statuses = try Self.statuses(await receiver.received())
        #expect(statuses.map { $0["status"] as? String } == ["failed"])
        #expect(((statuses.first?["errors"] as? [[String: Any]])?.first?["code"] as? Int) == 131026)
        // The next send to that recipient is normal again, and templates carry message_status.
        let template = try await Self.send(fake, client: client, to: "1555", type: "template")
        #expect(((template["messages"] as? [[String: Any]])?.first?["message_status"] as? String) == "accepted")
        #expect(await fake.received().count == 3)
        await fake.shutdown()
        await receiver.shutdown()
    }
}
