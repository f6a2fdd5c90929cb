import ArgumentParser
import ArriwaChannels
import ArriwaCore
import ArriwaRuntime
import ArriwaServer
import ArriwaStore
import AsyncHTTPClient
import Foundation
import Logging
import Prometheus
import ServiceLifecycle

/// Webhook ingest: signed Cloud API webhooks posted over loopback to the real route
/// (`POST /webhook/{tenant}/{secret}/cloud`: signature check + parse + durable inbox append), at
/// concurrency C from a load generator in the same process. No turn workers run: this is the ack
/// path a provider sees.
struct IngestBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Webhook ingest: signed Cloud API webhooks over loopback to the real route; requests/s and p50/p99.",
        discussion: """
        EXAMPLES
          swift run -c release arriwa-bench ingest --concurrency 32
          swift run -c release arriwa-bench ingest --database-url postgres://arriwa@127.0.0.1/bench
        Target: ≥ 5,000 requests/s with p99 < 10 ms. The load generator shares the machine with the server.
        """
    )

    @Option(help: "postgres://… or sqlite:path (default: a new SQLite file in a temporary directory).") var databaseURL: String?
    @Option(help: "Requests in flight at once.") var concurrency = 32
    @Option(help: "Timed requests (after the warm-up).") var requests = 20_000
    @Option(help: "Untimed requests first (fills the contact cache, warms connections).") var warmup = 2_000
    @Option(help: "Distinct leads the messages come from.") var leads = 1_000
    @Option(help: "Tenant directory to deploy.") var tenant = "flows/demo-clinic"
    @Flag(help: "Print the figures as JSON.") var json = false

    static let appSecret = "bench_app_secret_0123456789abcdef"
    static let pathSecret = "bench-path-secret"

    func run() async throws {
        BenchSetup.bootstrapLogging()
        let url = try BenchSetup.storeURL(databaseURL, name: "ingest")
        let logger = Logger(label: "arriwa.bench")
        let store = try await StoreURL.open(url, logger: logger)
        try await store.migrate()
        let deployments = Deployments(store: store, logger: logger)
        let record = try await deployments.deploy(directory: tenant, now: SystemClock.nowMillis())
        let registry = PrometheusCollectorRegistry()
        let credentials = ProviderCredentials(kind: "cloud_api", webhookSecret: Self.pathSecret, appSecret: Self.appSecret)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = ArriwaHTTPServer.makeApplication(
            configuration: .init(host: "127.0.0.1", port: 0),
            dependencies: .init(store: store, deployments: deployments, secrets: TenantSecrets { _ in nil },
                                metrics: RuntimeMetrics(factory: PrometheusMetricsFactory(registry: registry)), registry: registry,
                                wake: {}, providers: ProviderRoutes(directory: ProviderDirectory([record.tenant: credentials]),
                                                                    sealer: AddressSealer.random())),
            logger: logger,
            onServerRunning: { port in
                continuation.yield(port)
                continuation.finish()
            })
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let server = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw ValidationError("the server did not start") }
        let target = "http://127.0.0.1:\(port)/webhook/\(record.tenant)/\(Self.pathSecret)/cloud"

        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        let run = "\(Int(Date().timeIntervalSince1970 * 1000))"
        let pendingBefore = try await store.pendingInboxCount()
        let generator = IngestLoad(client: client, url: target, concurrency: concurrency, leads: leads, run: run)
        _ = try await generator.post(range: 0..<warmup)
        let start = monotonicNanos()
        let outcome = try await generator.post(range: warmup..<(warmup + requests))
        let seconds = Double(monotonicNanos() - start) / 1e9
        try await client.shutdown()
        // Rows this run appended (a reused database may hold earlier runs' rows).
        let pending = try await store.pendingInboxCount() - pendingBefore
        await group.triggerGracefulShutdown()
        _ = await server.result
        try? await store.shutdown()

        let result = IngestResult(store: url.redactedDescription, concurrency: concurrency, requests: requests, seconds: seconds,
                                  requestsPerSecond: Double(requests) / seconds, p50MS: outcome.percentile(0.50),
                                  p99MS: outcome.percentile(0.99), failures: outcome.failures, inboxRows: pending)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        } else {
            result.printLine()
        }
        if outcome.failures > 0 || pending != warmup + requests {
            throw ValidationError("\(outcome.failures) requests failed; inbox holds \(pending) rows, \(warmup + requests) expected")
        }
    }
}

struct IngestResult: Codable {
    var store: String
    var concurrency: Int
    var requests: Int
    var seconds: Double
    var requestsPerSecond: Double
    var p50MS: Double
    var p99MS: Double
    var failures: Int
    var inboxRows: Int

    func printLine() {
        print(String(format: "ingest %@ C=%d: %d signed webhooks in %.2f s = %.0f req/s; p50 %.2f ms, p99 %.2f ms; %d failures; %@",
                     store, concurrency, requests, seconds, requestsPerSecond, p50MS, p99MS, failures,
                     requestsPerSecond >= 5000 && p99MS < 10 ? "target met" : "target (≥ 5,000 req/s, p99 < 10 ms) NOT met"))
    }
}

/// The load generator: `concurrency` loops posting pre-signed webhook bodies, timing each request.
struct IngestLoad: Sendable {
    let client: HTTPClient
    let url: String
    let concurrency: Int
    let leads: Int
    let run: String

    struct Outcome {
        var latenciesMS: [Double] = []
        var failures = 0

        func percentile(_ p: Double) -> Double {
            let sorted = latenciesMS.sorted()
            guard !sorted.isEmpty else { return 0 }
            return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
        }
    }

    /// The body of request `n` (a text message from one of `leads` leads) and its signature.
    func signed(_ n: Int) -> (body: [UInt8], signature: String) {
        let phone = "1555\(String(format: "%07d", n % leads))"
        let text = """
        {"object":"whatsapp_business_account","entry":[{"id":"109238475610293","changes":[{"value":{"messaging_product":"whatsapp",\
        "metadata":{"display_phone_number":"15550100123","phone_number_id":"118374659201847"},"contacts":[{"profile":{"name":"Lead \(n)"},\
        "wa_id":"\(phone)"}],"messages":[{"from":"\(phone)","id":"wamid.bench.\(run).\(n)","timestamp":"1767702341","type":"text",\
        "text":{"body":"Ol\\u00e1! Quero saber o pre\\u00e7o do plano anual"}}]},"field":"messages"}]}]}
        """
        let body = Array(text.utf8)
        return (body, WebhookSignature.cloudHeaderValue(body: body, appSecret: IngestBenchmark.appSecret))
    }

    func post(range: Range<Int>) async throws -> Outcome {
        let prepared = range.map(signed)
        let next = RequestCounter(total: prepared.count)
        return try await withThrowingTaskGroup(of: Outcome.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var outcome = Outcome()
                    while let index = await next.take() {
                        var request = HTTPClientRequest(url: url)
                        request.method = .POST
                        request.headers.add(name: "Content-Type", value: "application/json")
                        request.headers.add(name: WebhookSignature.cloudHeader, value: prepared[index].signature)
                        request.body = .bytes(prepared[index].body)
                        let start = monotonicNanos()
                        let response = try await client.execute(request, timeout: .seconds(30))
                        _ = try await response.body.collect(upTo: 1 << 16)
                        outcome.latenciesMS.append(Double(monotonicNanos() - start) / 1e6)
                        if response.status.code != 200 { outcome.failures += 1 }
                    }
                    return outcome
                }
            }
            var total = Outcome()
            for try await part in group {
                total.latenciesMS += part.latenciesMS
                total.failures += part.failures
            }
            return total
        }
    }
}

/// Hands out request indexes to the loops.
actor RequestCounter {
    private var taken = 0
    private let total: Int

    init(total: Int) {
        self.total = total
    }

    func take() -> Int? {
        guard taken < total else { return nil }
        defer { taken += 1 }
        return taken
    }
}
