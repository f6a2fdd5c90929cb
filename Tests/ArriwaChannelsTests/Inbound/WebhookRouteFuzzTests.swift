import ArriwaChannels
import Foundation
import Testing

/// Mutated webhooks over real HTTP: the server answers every one (200, or 400 for a body with
/// nothing usable — never a 5xx, never a dropped connection) and every mutant that still holds a
/// valid message has it in the durable inbox.
@Suite struct WebhookRouteFuzzTests {
    static let mutantsPerProvider = 300

    @Test(arguments: [WebhookProvider.cloud, .gupshup, .evolution])
    func serverAnswersEveryMutantAndKeepsTheValidMessages(provider: WebhookProvider) async throws {
        let seeds = try WebhookFuzzTests.seeds(provider).map { seed, oracle in (try #require(WebhookMutator.tree(seed)), oracle) }
        var mutator = WebhookMutator(seed: 0x5EED + UInt64(provider.rawValue.utf8.count))
        try await ProviderServerHarness.run { server in
            var expected: Set<String> = []
            for round in 0..<Self.mutantsPerProvider {
                let (seed, oracle) = seeds[round % seeds.count]
                let mutant = mutator.mutate(seed)
                let reply = try await server.post(provider.rawValue, mutant)
                #expect([200, 400].contains(reply.status), "round \(round): \(reply.status) \(reply.body.prefix(200))")
                if let object = try? JSONSerialization.jsonObject(with: Data(mutant)), let message = oracle(object) {
                    #expect(reply.status == 200, "round \(round): a valid message was refused: \(reply.body.prefix(200))")
                    expected.insert(message.id)
                }
            }
            let stored = Set(try await server.inbox().map(\.item.dedupeKey))
            #expect(!expected.isEmpty)
            #expect(expected.subtracting(stored).isEmpty, "lost: \(expected.subtracting(stored))")
        }
    }
}
