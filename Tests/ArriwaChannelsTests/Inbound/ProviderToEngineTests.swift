import ArriwaChannels
import ArriwaCore
import ArriwaStore
import Testing

/// A provider webhook all the way into a session: the turn workers read what the route appended,
/// and the engine derives the entry point and session id from the parsed referral.
@Suite struct ProviderToEngineTests {
    static let lane = Phone.hash(InboundFixtures.lead) ?? ""

    func session(_ server: ProviderServerHarness) async throws -> SessionState? {
        guard let subscriber = try await server.store.subscriber(tenant: ProviderServerHarness.tenant, lane: Self.lane) else { return nil }
        return try await server.store.latestSession(tenant: ProviderServerHarness.tenant, subscriberID: subscriber.subscriberID)
    }

    @Test(arguments: [("cloud", "cloud-inbound-ctwa-referral"), ("evolution", "evolution-messages-upsert-ctwa-lid")])
    func ctwaWebhookStartsACTWASession(provider: String, fixture: String) async throws {
        try await ProviderServerHarness.run(workers: true) { server in
            let body = try InboundFixtures.bytes(fixture)
            #expect(try await server.post(provider, body).json["queued"] as? Int == 1)
            var state: SessionState?
            let deadline = ContinuousClock.now + .seconds(15)
            while state == nil, ContinuousClock.now < deadline {
                state = try await session(server)
                if state == nil { try await Task.sleep(for: .milliseconds(20)) }
            }
            let session = try #require(state, "no session was started")
            #expect(session.entry == "ctwa")
            #expect(session.id.hasPrefix("ctwa_fb_\(session.subscriberID)_"))
            #expect(session.attribution["ctwa_clid"]?.hasPrefix("ARAxu7vKnkf") == true)
            #expect(session.attribution["ad_id"] == "120219384756102938")
            #expect(session.referralRaw.map { String(decoding: body, as: UTF8.self).contains($0) } == true)
            #expect(session.phoneHash == Self.lane)
        }
    }
}
