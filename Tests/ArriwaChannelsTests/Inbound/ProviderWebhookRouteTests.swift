import ArriwaChannels
import ArriwaCore
import ArriwaStore
import Foundation
import Testing

/// The provider webhook routes over real HTTP on loopback, with a SQLite store.
@Suite struct ProviderWebhookRouteTests {
    static let lane = Phone.hash(InboundFixtures.lead) ?? ""

    @Test(arguments: ProviderServerHarness.Backend.allCases)
    func signedCloudMessageIsQueuedWithItsSealedContact(backend: ProviderServerHarness.Backend) async throws {
        try await ProviderServerHarness.run(backend: backend) { server in
            let body = try InboundFixtures.bytes("cloud-inbound-ctwa-referral")
            let reply = try await server.post("cloud", body)
            #expect(reply.status == 200)
            #expect(reply.json["status"] as? String == "queued")
            #expect(reply.json["queued"] as? Int == 1)
            let entries = try await server.inbox()
            let entry = try #require(entries.first)
            #expect(entries.count == 1)
            #expect(entry.item.lane == Self.lane)
            #expect(entry.item.kind == .message)
            #expect(entry.item.dedupeKey == "wamid.HBgLMTU1NTAxMDA0NTYVAgASGBQzQUIxN0UwQzk1RDI0RjZFOEEwMwA=")
            guard case .inbound(let message) = entry.item.event else {
                Issue.record("expected an inbound message, got \(entry.item.event)")
                return
            }
            #expect(message.text == "Hello! Can I get more info on this?")
            #expect(message.referral?["ctwa_clid"]?.hasPrefix("ARAxu7vKnkf") == true)
            #expect(message.contact.phoneHash == Self.lane)
            let contact = try #require(try await server.store.contactAddress(tenant: ProviderServerHarness.tenant, lane: Self.lane))
            #expect(contact.kind == .phone)
            #expect(try server.sealer.open(contact.sealed) == InboundFixtures.lead)
            #expect(!String(decoding: contact.sealed, as: UTF8.self).contains(InboundFixtures.lead))
            // A provider retry is acknowledged as a duplicate and not appended again.
            let again = try await server.post("cloud", body)
            #expect(again.status == 200 && again.json["status"] as? String == "duplicate")
            #expect(try await server.inbox().count == 1)
        }
    }

    @Test func signatureTestVectorIsAcceptedAndAWrongSignatureIs401WithAnAuditRecord() async throws {
        let vector = try InboundFixtures.object("cloud-signature-test-vector")
        let body = Array(try #require(vector["raw_body"] as? String).utf8)
        let header = try #require(vector["header_value"] as? String)
        try await ProviderServerHarness.run { server in
            let good = try await server.post("cloud", body, signature: header)
            #expect(good.status == 200 && good.json["queued"] as? Int == 1)
            var tampered = body
            tampered[tampered.count - 5] ^= 0x01
            let bad = try await server.post("cloud", tampered, signature: header)
            #expect(bad.status == 401)
            let missing = try await server.request("POST", server.url("cloud"), body: body)
            #expect(missing.status == 401)
            let audit = try await server.audit()
            #expect(audit.map(\.type) == ["webhook_refused", "webhook_refused"])
            #expect(audit.first?.detail.contains("does not match") == true)
            #expect(audit.last?.detail.contains("missing X-Hub-Signature-256") == true)
            #expect(audit.allSatisfy { !$0.detail.contains(InboundFixtures.lead) && !$0.detail.contains("wamid") })
            #expect(try await server.inbox().count == 1)
        }
    }

    @Test func wrongPathSecretIs401AndUnknownTenant404() async throws {
        try await ProviderServerHarness.run { server in
            let body = try InboundFixtures.bytes("gupshup-inbound-text")
            #expect(try await server.post("gupshup", body, secret: "guess").status == 401)
            #expect(try await server.request("POST", server.url("gupshup", tenant: "nobody"), body: body).status == 404)
            #expect(try await server.audit().first?.detail.contains("wrong or unconfigured webhook secret") == true)
            #expect(try await server.inbox().isEmpty)
        }
    }

    @Test func verificationHandshake() async throws {
        try await ProviderServerHarness.run { server in
            let ok = try await server.request("GET", server.url("cloud") + "?hub.mode=subscribe&hub.verify_token=my-verify-token-123&hub.challenge=1158201444")
            #expect(ok.status == 200)
            #expect(ok.body == "1158201444")
            #expect(ok.contentType?.hasPrefix("text/plain") == true)
            let wrong = try await server.request("GET", server.url("cloud") + "?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1")
            #expect(wrong.status == 403)
            let badPath = try await server.request("GET", server.url("cloud", secret: "x") + "?hub.mode=subscribe&hub.verify_token=my-verify-token-123&hub.challenge=1")
            #expect(badPath.status == 401)
            #expect(try await server.audit().count == 2)
        }
    }

    @Test func oversizedBodyIs413() async throws {
        let body = Array(#"{"entry":[],"pad":""#.utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: 10_000) + Array(#""}"#.utf8)
        try await ProviderServerHarness.run(maxBodyBytes: 4096) { server in
            let cloud = try await server.post("cloud", body)
            #expect(cloud.status == 413)
            let evolution = try await server.post("evolution", body)
            #expect(evolution.status == 413)
            #expect(try await server.inbox().isEmpty)
        }
    }

    @Test func malformedBodiesAre400NamingTheField() async throws {
        try await ProviderServerHarness.run { server in
            let notJSON = try await server.post("cloud", Array("{\"entry\":".utf8))
            #expect(notJSON.status == 400)
            #expect(notJSON.json["field"] as? String == "body")
            let noID = #"{"entry":[{"changes":[{"value":{"messages":[{"from":"15550100456","type":"text","text":{"body":"x"}}]}}]}]}"#
            let reply = try await server.post("cloud", Array(noID.utf8))
            #expect(reply.status == 400)
            #expect(reply.json["field"] as? String == "entry[0].changes[0].value.messages[0].id")
            let badSender = #"{"type":"message","payload":{"id":"G1","type":"text","payload":{"text":"x"},"sender":{"phone":"abc"}}}"#
            let gupshup = try await server.post("gupshup", Array(badSender.utf8))
            #expect(gupshup.status == 400 && gupshup.json["field"] as? String == "payload.sender.phone")
        }
    }

    @Test func unknownShapeIsAcknowledgedAndAudited() async throws {
        try await ProviderServerHarness.run { server in
            let reply = try await server.post("evolution", Array(#"{"hello":"world"}"#.utf8))
            #expect(reply.status == 200)
            #expect(reply.json["status"] as? String == "ignored")
            #expect((reply.json["ignored"] as? [String])?.first == "unknown shape: no event")
            #expect(try await server.audit().map(\.type) == ["webhook_ignored"])
        }
    }

    @Test func unknownMessageTypeIsStoredAsOther() async throws {
        try await ProviderServerHarness.run { server in
            let body = #"{"entry":[{"changes":[{"value":{"messages":[{"from":"15550100456","id":"wamid.LOC","type":"location","location":{"latitude":1}}]}}]}]}"#
            #expect(try await server.post("cloud", Array(body.utf8)).json["queued"] as? Int == 1)
            guard case .inbound(let message) = try #require(try await server.inbox().first).item.event else {
                Issue.record("expected an inbound message")
                return
            }
            #expect(message.kind == .other && message.mediaType == "location")
        }
    }

    @Test func gupshupAndEvolutionMessagesJoinThePhonesLane() async throws {
        try await ProviderServerHarness.run { server in
            #expect(try await server.post("gupshup", try InboundFixtures.bytes("gupshup-inbound-button-reply")).json["queued"] as? Int == 1)
            #expect(try await server.post("evolution", try InboundFixtures.bytes("evolution-messages-upsert-ctwa-lid")).json["queued"] as? Int == 1)
            let entries = try await server.inbox()
            #expect(entries.map(\.item.dedupeKey) == ["ABEGFVVQEAQWAhCzqobr15BdMPcR", "3EB0C55D2A9E7F1B0D42"])
            #expect(entries.allSatisfy { $0.item.lane == Self.lane })
            let contact = try #require(try await server.store.contactAddress(tenant: ProviderServerHarness.tenant, lane: Self.lane))
            #expect(try server.sealer.open(contact.sealed) == InboundFixtures.lead)
        }
    }
}
