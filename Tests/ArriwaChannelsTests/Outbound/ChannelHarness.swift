import ArriwaCore
import ArriwaRuntime
import ArriwaStore
import ArriwaTestSupport
import AsyncHTTPClient
import Foundation
import Testing
@testable import ArriwaChannels

/// demo-clinic deployed on a real SQLite store, the fake Cloud API on loopback, and a
/// WhatsAppChannel pointed at it through ARRIWA_WHATSAPP_BASE_URL.
struct ChannelHarness {
    static let tenant = "demo-clinic"
    static let token = "test-access-token"
    static let lead = "15550100456"
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    let test: ChannelTestStore
    let fake: FakeWhatsAppProvider
    let channel: WhatsAppChannel
    let sealer: AddressSealer
    let client: HTTPClient
    var store: any Store { test.store }

    /// - Parameter channelToken: the token the channel presents (the fake expects `token`).
    /// - Parameters:
    ///   - clock: the channel's clock (its backoffs and the times it records).
    ///   - appendRefusals: inbox appends the channel's store refuses first (an outage).
    static func run(requestTimeout: Duration = .seconds(5), webhook: FakeWhatsAppProvider.Webhook? = nil, channelToken: String = token,
                    clock: any RuntimeClock = SystemClock(), appendRefusals: AppendRefusals? = nil,
                    _ body: (ChannelHarness) async throws -> Void) async throws {
        let test = try await ChannelTestStore.open()
        let fake = try await FakeWhatsAppProvider.start(.init(accessToken: token, webhook: webhook))
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let deployments = Deployments(store: test.store)
        try await deployments.deploy(directory: root.appendingPathComponent("flows/demo-clinic").path, now: 0)
        let providers = TenantProviders(store: test.store, environment: [
            "DEMO_CLINIC_WA_TOKEN": channelToken, ProviderSettings.cloudBaseURLVariable: fake.baseURL,
        ])
        let sealer = AddressSealer.random()
        let channelStore: any Store = appendRefusals.map { ObservedStore(test.store, appendRefusals: $0) } ?? test.store
        let channel = WhatsAppChannel(store: channelStore, providers: providers, sealer: sealer,
                                      client: ProviderClient(client: client, configuration: .init(timeout: requestTimeout)), clock: clock)
        let harness = ChannelHarness(test: test, fake: fake, channel: channel, sealer: sealer, client: client)
        var failure: (any Error)?
        do {
            try await body(harness)
        } catch {
            failure = error
        }
        await fake.shutdown()
        try? await client.shutdown()
        await test.close()
        if let failure { throw failure }
    }

    /// Stores the lead's sealed number under the lane, as the inbound side does.
    func saveAddress(_ phone: String = ChannelHarness.lead) async throws -> String {
        let lane = try #require(Phone.hash(phone))
        try await store.saveContactAddress(ContactAddress(tenant: Self.tenant, lane: lane, kind: .phone, sealed: try sealer.seal(phone),
                                                          updatedAt: 0))
        return lane
    }

    func message(_ id: String = "s1-m1", lane: String, content: MessageContent = .text("Hello!")) -> OutboundMessage {
        OutboundMessage(id: id, sessionID: "s1", subscriberID: "sub-1", phoneHash: lane, origin: "main/ask", purpose: .flow,
                        content: content, windowOpen: true)
    }

    /// The statuses waiting in the inbox of `lane`.
    func inboxStatuses(lane: String) async throws -> [DeliveryStatus] {
        let claims = try await store.claimLanes(owner: "inspect", limit: 10, perLane: 50, now: Int64(Date().timeIntervalSince1970 * 1000),
                                                leaseMillis: 1)
        return claims.filter { $0.lane == lane }.flatMap(\.entries).compactMap { entry in
            if case .status(let status) = entry.item.event { return status }
            return nil
        }
    }
}
