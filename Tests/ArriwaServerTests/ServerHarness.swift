import ArriwaCore
import ArriwaRuntime
import ArriwaServer
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

/// The whole of `arriwa serve` in-process on an ephemeral loopback port: HTTP app, turn workers,
/// timer scheduler and outbox dispatcher in one ServiceGroup, on an in-memory store.
struct ServerHarness {
    static let tenant = "demo-clinic"
    static let secret = "test-secret-demo"
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    let store: ObservedStore
    let channel: RecordingChannel
    let registry: PrometheusCollectorRegistry
    let client: HTTPClient
    let port: Int

    var base: String { "http://127.0.0.1:\(port)" }
    var inboundURL: String { "\(base)/v1/tenants/\(Self.tenant)/inbound" }

    /// Starts everything, runs `body`, shuts down gracefully.
    static func run(pingError: (any Error)? = nil, _ body: (ServerHarness) async throws -> Void) async throws {
        let store = ObservedStore(InMemoryStore(), pingError: pingError)
        try await store.migrate()
        let deployments = Deployments(store: store)
        try await deployments.deploy(directory: root.appendingPathComponent("flows/demo-clinic").path, now: SystemClock.nowMillis())
        let registry = PrometheusCollectorRegistry()
        let metrics = RuntimeMetrics(factory: PrometheusMetricsFactory(registry: registry))
        let signal = WakeSignal()
        let channel = RecordingChannel()
        var quiet = Logger(label: "arriwa.test")
        quiet.logLevel = .critical
        let worker = TurnWorker(store: store, deployments: deployments, configuration: .init(concurrency: 2), signal: signal,
                                metrics: metrics, logger: quiet)
        let scheduler = TimerScheduler(store: store, workers: signal, metrics: metrics, logger: quiet)
        let dispatcher = OutboxDispatcher(store: store, destinations: Destinations(channel: channel, handover: LogSink(logger: quiet),
                                                                                  fallback: LogSink(logger: quiet)),
                                          configuration: .init(idlePoll: .milliseconds(20)), metrics: metrics, logger: quiet)
        let secrets = TenantSecrets { tenant in
            ["demo-clinic": Self.secret, "nobody-deployed": "other-secret"][tenant]
        }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = ArriwaHTTPServer.makeApplication(
            configuration: .init(host: "127.0.0.1", port: 0, readinessTimeout: .milliseconds(500)),
            dependencies: .init(store: store, deployments: deployments, secrets: secrets, metrics: metrics, registry: registry,
                                wake: { await signal.wake() }),
            logger: quiet,
            onServerRunning: { port in
                continuation.yield(port)
                continuation.finish()
            })
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: dispatcher), .init(service: worker), .init(service: scheduler), .init(service: app)],
            logger: quiet))
        let running = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let harness = ServerHarness(store: store, channel: channel, registry: registry, client: client, port: port)
        var failure: (any Error)?
        do {
            try await body(harness)
        } catch {
            failure = error
        }
        await group.triggerGracefulShutdown()
        _ = await running.result
        try await client.shutdown()
        if let failure { throw failure }
    }

    struct Reply {
        var status: Int
        var body: String
        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
        }
    }

    func request(_ method: HTTPMethod = .GET, _ url: String, body: String? = nil, headers: [(String, String)] = []) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await client.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return Reply(status: Int(response.status.code), body: String(buffer: bytes))
    }

    /// Posts a neutral webhook body with the tenant's secret.
    func post(_ body: String, secret: String? = ServerHarness.secret, url: String? = nil) async throws -> Reply {
        try await request(.POST, url ?? inboundURL, body: body, headers: secret.map { [("Authorization", "Bearer \($0)")] } ?? [])
    }

    static func message(id: String, from: String = "+79991234567", text: String) -> String {
        """
        {"messages": [{"id": "\(id)", "from": "\(from)", "type": "text", "text": "\(text)", "profile_name": "Anna", "language": "en"}]}
        """
    }

    /// Waits until the channel has sent `count` messages (the pipeline is asynchronous).
    func waitForSends(_ count: Int, timeout: Duration = .seconds(10)) async throws -> [RecordingChannel.Sent] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let sent = await channel.sent
            if sent.count >= count { return sent }
            try await Task.sleep(for: .milliseconds(10))
        }
        let sent = await channel.sent
        Issue.record("expected \(count) sends, got \(sent.count): \(sent.map(\.message.content.body))")
        return sent
    }

    func waitUntil(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws {
        try await ArriwaTestSupport.waitUntil(timeout: timeout, condition)
    }

    func session(phone: String = "+79991234567") async throws -> SessionState? {
        let hash = try #require(Phone.hash(phone))
        guard let subscriber = try await store.subscriber(tenant: Self.tenant, lane: hash) else { return nil }
        return try await store.latestSession(tenant: Self.tenant, subscriberID: subscriber.subscriberID)
    }
}
