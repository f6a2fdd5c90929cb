import ArgumentParser
import ArriwaChannels
import ArriwaCore
import ArriwaRuntime
import ArriwaServer
import ArriwaStore
import AsyncHTTPClient
import Foundation
import Logging
import NIOPosix
import Prometheus
import ServiceLifecycle

/// Webhook ingest: signed Cloud API webhooks posted over loopback to the real route
/// (`POST /webhook/{tenant}/{secret}/cloud`: signature check + parse + durable inbox append), at
/// concurrency C from a load generator in the same process (`LeanLoad`: C keep-alive connections
/// on one event loop of its own). No turn workers run: this is the ack path a provider sees.
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
    @Option(help: "Load generator: lean (a keep-alive HTTP/1.1 client on SwiftNIO, one event loop) or async-http-client.")
    var generator: Generator = .lean
    @Flag(help: "Print the figures as JSON.") var json = false

    enum Generator: String, ExpressibleByArgument, Sendable {
        case lean
        case asyncHTTPClient = "async-http-client"
    }

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

        let run = "\(Int(Date().timeIntervalSince1970 * 1000))"
        let signed = (0..<(warmup + requests)).map { SignedWebhook($0, leads: leads, run: run, appSecret: Self.appSecret) }
        let pendingBefore = try await store.pendingInboxCount()
        let path = "/webhook/\(record.tenant)/\(Self.pathSecret)/cloud"
        // Everything a request needs is built before the clock starts.
        let load: @Sendable (Range<Int>) async throws -> LoadOutcome
        let stopGenerator: @Sendable () async throws -> Void
        switch generator {
        case .lean:
            let loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let lean = LeanLoad(group: loops, host: "127.0.0.1", port: port)
            let wire = signed.map { $0.http(path: path, host: "127.0.0.1", port: port) }
            let concurrency = concurrency
            load = { range in try await lean.run(Array(wire[range]), concurrency: concurrency) }
            stopGenerator = { try await loops.shutdownGracefully() }
        case .asyncHTTPClient:
            var configuration = HTTPClient.Configuration()
            configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            let ahc = AsyncHTTPClientLoad(client: client, url: "http://127.0.0.1:\(port)\(path)", concurrency: concurrency)
            load = { range in try await ahc.run(Array(signed[range])) }
            stopGenerator = { try await client.shutdown() }
        }
        _ = try await load(0..<warmup)
        let start = monotonicNanos()
        let outcome = try await load(warmup..<(warmup + requests))
        let seconds = Double(monotonicNanos() - start) / 1e9
        try await stopGenerator()
        // Rows this run appended (a reused database may hold earlier runs' rows).
        let pending = try await store.pendingInboxCount() - pendingBefore
        await group.triggerGracefulShutdown()
        _ = await server.result
        try? await store.shutdown()

        let result = IngestResult(store: url.redactedDescription, generator: generator.rawValue, concurrency: concurrency,
                                  requests: requests, seconds: seconds, requestsPerSecond: Double(requests) / seconds, p50MS: outcome.percentile(0.50),
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
    var generator: String
    var concurrency: Int
    var requests: Int
    var seconds: Double
    var requestsPerSecond: Double
    var p50MS: Double
    var p99MS: Double
    var failures: Int
    var inboxRows: Int

    func printLine() {
        print(String(format: "ingest %@ (%@) C=%d: %d signed webhooks in %.2f s = %.0f req/s; p50 %.2f ms, p99 %.2f ms; %d failures; %@",
                     store, generator, concurrency, requests, seconds, requestsPerSecond, p50MS, p99MS, failures,
                     requestsPerSecond >= 5000 && p99MS < 10 ? "target met" : "target (≥ 5,000 req/s, p99 < 10 ms) NOT met"))
    }
}

