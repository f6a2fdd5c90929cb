import ArriwaChannels
import ArriwaCore
import Foundation
import Testing

/// 10,000 seeded mutants per provider through the parser: none traps, and every mutant in which an
/// independent JSON reader (Foundation's) still finds the fixture's message intact yields that
/// message — a damaged sibling, a huge string elsewhere or a changed type around it loses nothing.
@Suite struct WebhookFuzzTests {
    static let mutantsPerProvider = 10_000

    /// The message an independent reader finds in a mutant: its id and text, when still valid.
    typealias Oracle = @Sendable (Any) -> (id: String, text: String)?

    @Test(arguments: [WebhookProvider.cloud, .gupshup, .evolution])
    func mutantsNeverCrashAndNeverLoseAValidMessage(provider: WebhookProvider) throws {
        let seeds = try Self.seeds(provider).map { seed, oracle in (try #require(WebhookMutator.tree(seed)), oracle) }
        var mutator = WebhookMutator(seed: 0xA77_1A + UInt64(provider.rawValue.utf8.count))
        var stillValid = 0
        var yielded = 0
        for round in 0..<Self.mutantsPerProvider {
            let (seed, oracle) = seeds[round % seeds.count]
            let mutant = mutator.mutate(seed)
            let parse = provider.parse(mutant, now: 42)
            yielded += parse.messages.count
            for message in parse.messages {
                // A phone hash, or a prefixed hash of another address — never the address itself.
                let hash = message.address.kind == .phone ? message.address.lane : String(message.address.lane.split(separator: "-").last ?? "")
                #expect(Phone.isHash(hash), "lane is a hash")
            }
            guard let object = try? JSONSerialization.jsonObject(with: Data(mutant)), let expected = oracle(object) else { continue }
            stillValid += 1
            let found = parse.messages.first { $0.message.id == expected.id }
            #expect(found?.message.text == expected.text, "round \(round): a valid message was lost: \(String(decoding: mutant.prefix(400), as: UTF8.self))")
        }
        // The oracle is not vacuous: a fair share of mutants keep their message (a third or more of
        // the seeds are statuses or replies, which the oracle does not look at).
        #expect(stillValid > Self.mutantsPerProvider / 30, "only \(stillValid) mutants kept a valid message")
        #expect(yielded >= stillValid)
    }

    static func seeds(_ provider: WebhookProvider) throws -> [([UInt8], Oracle)] {
        switch provider {
        case .cloud:
            return try (InboundFixtures.cloudInbound() + InboundFixtures.cloudStatuses()).map { (try InboundFixtures.bytes($0), cloudOracle) }
        case .gupshup:
            let v2 = ["gupshup-inbound-text", "gupshup-inbound-button-reply", "gupshup-inbound-list-reply",
                      "gupshup-inbound-template-quick-reply", "gupshup-message-event-sent", "gupshup-message-event-failed"]
            return try v2.map { (try InboundFixtures.bytes($0), gupshupOracle) }
                + [(try InboundFixtures.bytes("gupshup-inbound-v3-ctwa-referral"), cloudOracle)]
        case .evolution:
            return try InboundFixtures.evolutionInbound().map { (try InboundFixtures.bytes($0), evolutionOracle) }
        }
    }

    static func first(_ value: Any?) -> [String: Any]? { (value as? [Any])?.first as? [String: Any] }

    /// entry[0].changes[0].value.messages[0], a text message with an id and a phone sender.
    static let cloudOracle: Oracle = { root in
        guard let root = root as? [String: Any], let entry = first(root["entry"]), let change = first(entry["changes"]),
              let value = change["value"] as? [String: Any], let message = first(value["messages"]),
              let id = message["id"] as? String, !id.isEmpty, id.utf8.count <= 256,
              let from = message["from"] as? String, Phone.normalize(from) != nil,
              message["type"] as? String == "text", let text = (message["text"] as? [String: Any])?["body"] as? String
        else { return nil }
        return (id, text)
    }

    /// A v2 `message` of type text with an id and a phone sender.
    static let gupshupOracle: Oracle = { root in
        guard let root = root as? [String: Any], root["entry"] == nil, root["type"] as? String == "message",
              let payload = root["payload"] as? [String: Any], let id = payload["id"] as? String, !id.isEmpty, id.utf8.count <= 256,
              payload["type"] as? String == "text", let text = (payload["payload"] as? [String: Any])?["text"] as? String
        else { return nil }
        let phone = ((payload["sender"] as? [String: Any])?["phone"] as? String).flatMap(Phone.normalize)
            ?? (payload["source"] as? String).flatMap(Phone.normalize)
        return phone == nil ? nil : (id, text)
    }

    /// messages.upsert from a lead (not fromMe), with the fixture's sender JID and a conversation.
    static let evolutionOracle: Oracle = { root in
        guard let root = root as? [String: Any], let event = root["event"] as? String,
              event.lowercased().replacingOccurrences(of: "_", with: ".") == "messages.upsert",
              let data = root["data"] as? [String: Any], let key = data["key"] as? [String: Any],
              (key["fromMe"] as? Bool) != true, let id = key["id"] as? String, !id.isEmpty, id.utf8.count <= 256,
              let jid = key["remoteJid"] as? String, ["15550100456@s.whatsapp.net", "204857391028374@lid"].contains(jid),
              let text = (data["message"] as? [String: Any])?["conversation"] as? String
        else { return nil }
        return (id, text)
    }
}
