import ArriwaChannels
import ArriwaCore
import ArriwaRuntime
import ArriwaServer
import ArriwaStore
import ArriwaTestSupport
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle
import Testing

/// The HTTP app of `arriwa serve` with the provider routes, on an ephemeral loopback port and a
/// fresh SQLite file. Unless `workers` is set, no turn workers run, so what a webhook appended
/// stays in the inbox for the test to read (by claiming the lanes).
struct ProviderServerHarness {
    static let tenant = "demo-clinic"
    static let pathSecret = "path-secret-7f3a"
    static let appSecret = "test_app_secret_0123456789abcdef"
    static let verifyToken = "my-verify-token-123"
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    let store: any Store
    let sealer: AddressSealer
    let client: HTTPClient
    let port: Int

    func url(_ provider: String, secret: String = Self.pathSecret, tenant: String = Self.tenant) -> String {
        "http://127.0.0.1:\(port)/webhook/\(tenant)/\(secret)/\(provider)"
    }

    /// The durable store the server runs on.
    enum Backend: String, CaseIterable, Sendable {
        /// A new SQLite file in a temporary directory.
        case sqlite
        /// A new database on the test PostgreSQL server (`PostgresTestServer`).
        case postgres
    }

    static func run(maxBodyBytes: Int = 256 * 1024, workers: Bool = false, backend: Backend = .sqlite,
                    _ body: (ProviderServerHarness) async throws -> Void) async throws {
        let quiet = Logger(label: "arriwa.test", factory: { _ in SwiftLogNoOpLogHandler() })
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("arriwa-inbound-\(UUID().uuidString)")
        let store: any Store
        switch backend {
        case .sqlite:
            store = try await SQLiteStore.open(path: directory.appendingPathComponent("store.db").path, logger: quiet)
        case .postgres:
            let admin = try await PostgresTestServer.adminURL()
            let name = PostgresTestServer.freshDatabaseName()
            try await PostgresAdmin.createDatabase(name, adminURL: admin, logger: quiet)
            store = try await PostgresStore.open(url: try PostgresAdmin.url(admin, database: name), configuration: .init(
                maximumConnections: 4, afterShutdown: { try? await PostgresAdmin.dropDatabase(name, adminURL: admin, logger: quiet) }), logger: quiet)
        }
        _ = try await store.migrate()
        let deployments = Deployments(store: store, logger: quiet)
        try await deployments.deploy(directory: root.appendingPathComponent("flows/demo-clinic").path, now: SystemClock.nowMillis())
        let credentials = ProviderCredentials(kind: "cloud_api", webhookSecret: pathSecret, appSecret: appSecret, verifyToken: verifyToken)
        let sealer = AddressSealer.random()
        let registry = PrometheusCollectorRegistry()
        let signal = WakeSignal()
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = ArriwaHTTPServer.makeApplication(
            configuration: .init(host: "127.0.0.1", port: 0, maxBodyBytes: maxBodyBytes),
            dependencies: .init(store: store, deployments: deployments, secrets: TenantSecrets { _ in nil },
                                metrics: RuntimeMetrics(factory: PrometheusMetricsFactory(registry: registry)), registry: registry,
                                wake: { await signal.wake() }, providers: ProviderRoutes(directory: ProviderDirectory([tenant: credentials]), sealer: sealer)),
            logger: quiet,
            onServerRunning: { port in
                continuation.yield(port)
                continuation.finish()
            })
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: app)]
        if workers {
            services.insert(.init(service: TurnWorker(store: store, deployments: deployments, configuration: .init(concurrency: 2),
                                                      signal: signal, logger: quiet)), at: 0)
        }
        let group = ServiceGroup(configuration: .init(services: services, logger: quiet))
        let running = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        var failure: (any Error)?
        do {
            try await body(ProviderServerHarness(store: store, sealer: sealer, client: client, port: port))
        } catch {
            failure = error
        }
        await group.triggerGracefulShutdown()
        _ = await running.result
        try await client.shutdown()
        try await store.shutdown()
        try? FileManager.default.removeItem(at: directory)
        if let failure { throw failure }
    }

    struct Reply {
        var status: Int
        var contentType: String?
        var body: String
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
    }

    /// `method`: GET or POST.
    func request(_ method: String, _ url: String, body: [UInt8]? = nil, headers: [(String, String)] = []) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = method == "GET" ? .GET : .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(body)
        }
        let response = try await client.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return Reply(status: Int(response.status.code), contentType: response.headers.first(name: "content-type"), body: String(buffer: bytes))
    }

    /// Posts `body` to a provider route; Cloud bodies are signed with the app secret unless a
    /// signature header is given.
    func post(_ provider: String, _ body: [UInt8], signature: String? = nil, secret: String = Self.pathSecret) async throws -> Reply {
        var headers: [(String, String)] = []
        if provider == "cloud" {
            headers.append((WebhookSignature.cloudHeader, signature ?? WebhookSignature.cloudHeaderValue(body: body, appSecret: Self.appSecret)))
        }
        return try await request("POST", url(provider, secret: secret), body: body, headers: headers)
    }

    /// Every pending inbox entry (the lanes are claimed and released again).
    func inbox() async throws -> [InboxEntry] {
        let claims = try await store.claimLanes(owner: "inspector", limit: 1000, perLane: 1000, now: SystemClock.nowMillis(), leaseMillis: 1)
        for claim in claims { try await store.releaseLane(tenant: claim.tenant, lane: claim.lane, owner: "inspector") }
        return claims.flatMap(\.entries).sorted { $0.seq < $1.seq }
    }

    func audit() async throws -> [AuditRecord] {
        try await store.auditLog(tenant: Self.tenant, sessionID: nil, limit: 100)
    }
}
