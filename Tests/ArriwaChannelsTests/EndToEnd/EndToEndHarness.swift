import ArriwaChannels
import ArriwaCore
import ArriwaRuntime
import ArriwaServer
import ArriwaStore
import ArriwaTestSupport
import AsyncHTTPClient
import Foundation
import Logging
import Prometheus
import ServiceLifecycle
import Testing

/// `arriwa serve` in-process on PostgreSQL — the provider webhook routes, turn workers, timer
/// scheduler and outbox dispatcher with the real WhatsApp channel — on a virtual clock (nudges fire
/// without waiting), with the fake Cloud API on loopback posting signed Cloud webhooks (lead
/// messages and statuses) to `/webhook/{tenant}/{secret}/cloud`.
struct EndToEndHarness {
    static let tenant = "demo-clinic"
    static let token = "e2e-access-token"
    static let webhookSecret = "e2e-tenant-secret"
    static let appSecret = "e2e-app-secret"
    static let lead = "15550100456"

    let store: any Store
    let fake: FakeWhatsAppProvider
    let clock: VirtualClock
    let port: Int

    static let quiet: Logger = {
        var logger = Logger(label: "arriwa.e2e")
        logger.logLevel = .critical
        return logger
    }()

    static func run(requestTimeout: Duration = .seconds(5), _ body: (EndToEndHarness) async throws -> Void) async throws {
        let admin = try await PostgresTestServer.adminURL()
        let name = PostgresTestServer.freshDatabaseName()
        try await PostgresAdmin.createDatabase(name, adminURL: admin, logger: quiet)
        let store = try await PostgresStore.open(url: try PostgresAdmin.url(admin, database: name),
                                                 configuration: .init(maximumConnections: 8, afterShutdown: {
                                                     try? await PostgresAdmin.dropDatabase(name, adminURL: admin, logger: quiet)
                                                 }), logger: quiet)
        _ = try await store.migrate()
        let deployments = Deployments(store: store, logger: quiet)
        try await deployments.deploy(directory: ChannelHarness.root.appendingPathComponent("flows/demo-clinic").path,
                                     now: SystemClock.nowMillis())
        let clock = VirtualClock(startAt: SystemClock.nowMillis())
        let signal = WakeSignal()
        let registry = PrometheusCollectorRegistry()
        let metrics = RuntimeMetrics(factory: PrometheusMetricsFactory(registry: registry))

        // One key seals the addresses the webhook route stores and the channel opens.
        let sealer = AddressSealer.random()
        let providers = ProviderRoutes(directory: ProviderDirectory([tenant: ProviderCredentials(
            kind: "cloud_api", webhookSecret: webhookSecret, appSecret: appSecret)]), sealer: sealer)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = ArriwaHTTPServer.makeApplication(
            configuration: .init(host: "127.0.0.1", port: 0),
            dependencies: .init(store: store, deployments: deployments, secrets: TenantSecrets { $0 == tenant ? webhookSecret : nil },
                                clock: clock, metrics: metrics, registry: registry, wake: { await signal.wake() },
                                providers: providers),
            logger: quiet,
            onServerRunning: { port in
                continuation.yield(port)
                continuation.finish()
            })
        // The fake starts first (the channel needs its URL); its webhook is set once the server runs.
        let fake = try await FakeWhatsAppProvider.start(.init(accessToken: token))
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let channel = WhatsAppChannel(
            store: store,
            providers: TenantProviders(store: store, environment: ["DEMO_CLINIC_WA_TOKEN": token,
                                                                   ProviderSettings.cloudBaseURLVariable: fake.baseURL]),
            sealer: sealer, client: ProviderClient(client: client, configuration: .init(timeout: requestTimeout)),
            clock: clock, wake: { await signal.wake() }, logger: quiet)
        let scheduler = TimerScheduler(store: store, configuration: .init(maxSleepMillis: 50), clock: clock, workers: signal,
                                       metrics: metrics, logger: quiet)
        let dispatcher = OutboxDispatcher(store: store,
                                          destinations: Destinations(channel: channel, handover: LogSink(logger: quiet),
                                                                     fallback: LogSink(logger: quiet)),
                                          configuration: .init(idlePoll: .milliseconds(20)), clock: clock, metrics: metrics, logger: quiet)
        // As `arriwa serve` wires them: committed rows go to the dispatcher in memory.
        let worker = TurnWorker(store: store, deployments: deployments, configuration: .init(concurrency: 2, idlePoll: .milliseconds(20)),
                                clock: clock, signal: signal, metrics: metrics, logger: quiet, handoff: dispatcher)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: dispatcher), .init(service: worker), .init(service: scheduler), .init(service: app)],
            logger: quiet))
        let running = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        await fake.setWebhook(.init(url: "http://127.0.0.1:\(port)/webhook/\(tenant)/\(webhookSecret)/cloud",
                                    format: .cloud(appSecret: appSecret)))

        let harness = EndToEndHarness(store: store, fake: fake, clock: clock, port: port)
        var failure: (any Error)?
        do {
            try await body(harness)
        } catch {
            failure = error
        }
        await fake.shutdown()
        await group.triggerGracefulShutdown()
        _ = await running.result
        try? await client.shutdown()
        try? await store.shutdown()
        if let failure { throw failure }
    }

    /// Waits until the fake has received `count` sends.
    func sends(_ count: Int, timeout: Duration = .seconds(15)) async throws -> [FakeWhatsAppProvider.Received] {
        try await waitUntil(timeout: timeout) { await fake.received().filter { $0.wamid != nil }.count >= count }
        return await fake.received().filter { $0.wamid != nil }
    }

    func waitUntil(timeout: Duration = .seconds(15), _ condition: () async throws -> Bool) async throws {
        try await ArriwaTestSupport.waitUntil(timeout: timeout, every: .milliseconds(20), condition)
    }
}

extension FakeWhatsAppProvider.Received {
    /// The text a lead sees: text body, interactive body, or `template <name>`.
    var shownText: String? {
        guard let json else { return nil }
        if let text = (json["text"] as? [String: Any])?["body"] as? String { return text }
        if let interactive = json["interactive"] as? [String: Any] { return (interactive["body"] as? [String: Any])?["text"] as? String }
        if let template = json["template"] as? [String: Any] { return "template \(template["name"] as? String ?? "?")" }
        return nil
    }
}
