import ArriwaCore
import ArriwaRuntime
import ArriwaServer
import ArriwaSinks
import ArriwaStore
import ArriwaTestSupport
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Prometheus
import ServiceLifecycle
import Testing

/// The `shop` test tenant deployed on an in-memory store with the real conversion sinks pointed
/// at loopback fakes of Meta's Graph API and Kommo, and the HTTP app (inbound, Stripe and CRM
/// webhooks) on an ephemeral port. Turns and deliveries are driven step by step on a virtual
/// clock that starts at the real time (Meta refuses events older than 7 days).
struct SinksHarness {
    static let tenant = "shop"
    static let metaToken = "test-meta-token"
    static let kommoToken = "test-kommo-token"
    static let stripeSecret = "whsec_test_shop_secret"
    static let tenantSecret = "test-secret-shop"
    static let goodDataset = "1029384756102938"
    static let noiseDataset = "5550000000000002"
    static let waba = "109238475610293"

    let store: ObservedStore
    let clock: VirtualClock
    let worker: TurnWorker
    let dispatcher: OutboxDispatcher
    let channel: RecordingChannel
    let configs: SinkConfigs
    let capi: CAPISink
    let audiences: AudienceSink
    let crm: KommoSink
    let meta: FakeMetaGraphServer
    let kommo: FakeKommoServer
    let client: HTTPClient
    let port: Int

    var base: String { "http://127.0.0.1:\(port)/v1/tenants/\(Self.tenant)" }

    static func fixture(_ name: String) throws -> URL {
        let root = try #require(Bundle.module.resourceURL)
        return root.appendingPathComponent("Fixtures").appendingPathComponent(name)
    }

    static func fixtureJSON(_ name: String) throws -> RecordedJSON {
        try JSONDecoder().decode(RecordedJSON.self, from: Data(contentsOf: fixture(name)))
    }

    static func run(window: Duration = .milliseconds(20), capiBatch: Int = 1000, dispatcher dispatcherConfiguration: OutboxDispatcher.Configuration? = nil,
                    _ body: (SinksHarness) async throws -> Void) async throws {
        let meta = try await FakeMetaGraphServer.start(token: metaToken)
        let kommo = try await FakeKommoServer.start(token: kommoToken)
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            try await run(meta: meta, kommo: kommo, client: client, window: window, capiBatch: capiBatch,
                          dispatcher: dispatcherConfiguration, body)
        } catch {
            try? await client.shutdown()
            await meta.shutdown()
            await kommo.shutdown()
            throw error
        }
        try await client.shutdown()
        await meta.shutdown()
        await kommo.shutdown()
    }

    private static func run(meta: FakeMetaGraphServer, kommo: FakeKommoServer, client: HTTPClient, window: Duration, capiBatch: Int,
                            dispatcher dispatcherConfiguration: OutboxDispatcher.Configuration?,
                            _ body: (SinksHarness) async throws -> Void) async throws {
        let env: [String: String] = ["SHOP_CAPI_TOKEN": metaToken, "SHOP_GRAPH_URL": meta.baseURL, "SHOP_KOMMO_URL": kommo.baseURL,
                                     "SHOP_KOMMO_TOKEN": kommoToken, "SHOP_STRIPE_SECRET": stripeSecret]
        let store = ObservedStore(InMemoryStore())
        try await store.migrate()
        let clock = VirtualClock(startAt: SystemClock.nowMillis())
        let deployments = Deployments(store: store)
        try await deployments.deploy(directory: try fixture("tenant-shop").path, now: await clock.now())
        var quiet = Logger(label: "arriwa.test")
        quiet.logLevel = .critical
        let configs = SinkConfigs(store: store) { env[$0] }
        let capi = CAPISink(configs: configs, client: client, configuration: .init(window: window, maxBatch: capiBatch), logger: quiet)
        let audiences = AudienceSink(configs: configs, client: client, configuration: .init(window: window), logger: quiet)
        let crm = KommoSink(configs: configs, client: client, logger: quiet)
        let channel = RecordingChannel()
        let worker = TurnWorker(store: store, deployments: deployments, configuration: .init(owner: "worker-test"),
                                clock: clock, logger: quiet)
        let dispatcher = OutboxDispatcher(store: store, destinations: Destinations(channel: channel, handover: LogSink(logger: quiet),
                                                                                  sinks: ["capi": capi, "audiences": audiences, "crm": crm],
                                                                                  fallback: nil),
                                          configuration: dispatcherConfiguration ?? .init(owner: "dispatcher-test"), clock: clock, logger: quiet)
        let registry = PrometheusCollectorRegistry()
        let secrets = TenantSecrets { $0 == tenant ? tenantSecret : nil }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = ArriwaHTTPServer.makeApplication(
            configuration: .init(host: "127.0.0.1", port: 0),
            dependencies: .init(store: store, deployments: deployments, secrets: secrets, clock: clock, metrics: RuntimeMetrics(),
                                registry: registry, wake: {}, sinkConfigs: configs),
            logger: quiet,
            onServerRunning: { port in
                continuation.yield(port)
                continuation.finish()
            })
        let group = ServiceGroup(configuration: .init(services: [.init(service: app)], logger: quiet))
        let running = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        let harness = SinksHarness(store: store, clock: clock, worker: worker, dispatcher: dispatcher, channel: channel, configs: configs,
                                   capi: capi, audiences: audiences, crm: crm, meta: meta, kommo: kommo, client: client, port: port)
        var failure: (any Error)?
        do {
            try await body(harness)
        } catch {
            failure = error
        }
        await group.triggerGracefulShutdown()
        _ = await running.result
        if let failure { throw failure }
    }

    // MARK: Leads

    /// Appends a lead's message as the webhook would (with a CTWA referral when `ctwaClid` is set).
    func say(_ text: String, phone: String = "+15550100456", ctwaClid: String? = nil) async throws {
        let now = await clock.now()
        let hash = try #require(Phone.hash(phone))
        let referral = ctwaClid.map { ["ctwa_clid": $0, "source_id": "120219384756102938", "source_type": "ad"] }
        let message = InboundMessage(id: "wamid.in.\(UUID().uuidString)", text: text, receivedAt: now,
                                     contact: Contact(subscriberID: "", phoneHash: hash, language: "en"), referral: referral)
        _ = try await store.appendInbox(InboxItem(tenant: Self.tenant, lane: hash, dedupeKey: message.id, kind: .message,
                                                  event: .inbound(message), receivedAt: now))
    }

    /// Runs the turns, then delivers the outbox until nothing is due.
    func settle() async throws {
        await worker.drain()
        while try await dispatcher.dispatchOnce() > 0 {}
    }

    func session(phone: String = "+15550100456") async throws -> SessionState {
        let hash = try #require(Phone.hash(phone))
        let subscriber = try #require(try await store.subscriber(tenant: Self.tenant, lane: hash))
        return try #require(try await store.latestSession(tenant: Self.tenant, subscriberID: subscriber.subscriberID))
    }

    func rows(_ destination: String, status: OutboxStatus? = nil) async throws -> [OutboxRecord] {
        try await store.outbox(OutboxFilter(tenant: Self.tenant, status: status, destination: destination))
    }

    // MARK: Direct deliveries

    static func emission(_ event: String, key: String? = nil, stream: Emission.Stream = .GOOD, phone: String = "+15550100456",
                         ctwaClid: String? = "ARAxu7vKnkf-QP7MkA7nqgya2bKDeyTpnF42wYri2NsbkSc5rYvav1uUns4J7N9l2Hinh0dEdbSMe2JVOfOTeSBRg-Fk6OwLM3Cb36J",
                         eventTime: Int64 = SystemClock.nowMillis(), session: String = "s-1", sinks: [String] = ["capi"]) -> Emission {
        Emission(key: key ?? "\(session)-\(event.lowercased())", event: event, stream: stream, sinks: sinks, sessionID: session,
                 subscriberID: "sub-\(session)", phoneHash: Phone.hash(phone) ?? "", eventTime: eventTime, origin: "test/emit",
                 attribution: ctwaClid.map { ["ctwa_clid": $0] } ?? [:], entry: ctwaClid == nil ? "organic" : "ctwa")
    }

    static func record(_ emission: Emission, destination: String = "capi", id: Int64 = 1, attempts: Int = 1) -> OutboxRecord {
        OutboxRecord(id: id, item: OutboxItem(tenant: tenant, key: emission.key, destination: destination, sessionID: emission.sessionID,
                                              lane: emission.phoneHash, effect: .emit(emission), availableAt: 0),
                     status: .pending, attempts: attempts, nextAttemptAt: 0, lastError: nil, createdAt: 0, deliveredAt: nil, remoteID: nil)
    }

    // MARK: HTTP

    struct Reply {
        var status: Int
        var body: String
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
    }

    func post(_ path: String, body: Data, headers: [(String, String)]) async throws -> Reply {
        var request = HTTPClientRequest(url: base + path)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await client.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return Reply(status: Int(response.status.code), body: String(buffer: bytes))
    }
}
