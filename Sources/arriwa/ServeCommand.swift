import ArgumentParser
import ArriwaClassify
import ArriwaCore
import ArriwaRuntime
import ArriwaServer
import ArriwaStore
import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

/// `arriwa serve`: the durable runtime in one process — webhook, turn workers, timer scheduler and
/// outbox dispatcher in one ServiceGroup.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the durable runtime: inbound webhook, turn workers, timers and outbox delivery.",
        discussion: """
        Every option can also be set in the environment (the option wins):
          ARRIWA_DATABASE_URL, ARRIWA_HOST, ARRIWA_PORT, ARRIWA_WORKERS, ARRIWA_LOG_FORMAT, ARRIWA_LOG_LEVEL.
        Webhook secrets: ARRIWA_TENANT_SECRET_<TENANT> (tenant id upper-cased, other characters as _;
          demo-clinic → ARRIWA_TENANT_SECRET_DEMO_CLINIC); send it as 'Authorization: Bearer <secret>'
          or 'X-Arriwa-Secret: <secret>'.
        Generic webhook sink: ARRIWA_WEBHOOK_SINK_URL, ARRIWA_WEBHOOK_SINK_SECRET (HMAC key),
          ARRIWA_WEBHOOK_SINK_DESTINATIONS (extra sink names routed to it, e.g. capi,crm).
        Conversion sinks: ARRIWA_SINKS=capi,audiences,crm (or all) sends emissions to Meta CAPI, Custom
          Audiences and Kommo with the ids and credential env vars in each tenant.yaml (docs/conversions.md);
          unlisted sinks only log. Stripe: POST /v1/tenants/<tenant>/stripe/webhook; CRM levels:
          POST /v1/tenants/<tenant>/crm/webhook?secret=<tenant secret>.
        Model classifier: ARRIWA_LLM_BASE_URL, ARRIWA_LLM_MODEL (see arriwa chat --help).
        WhatsApp sending: ARRIWA_CONTACT_KEY (32 bytes, base64) seals leads' numbers; each tenant sends through
          its tenant.yaml provider with the credentials its *_env keys name. ARRIWA_WHATSAPP_BASE_URL points the
          Cloud API elsewhere (e.g. arriwa fake-provider). Without the key, messages are only recorded.
        SIGTERM or SIGINT stops gracefully: the webhook first, then timers, turns in flight and deliveries.
        See docs/operations.md.
        """
    )

    enum LogFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Option(name: .customLong("database-url"),
            help: ArgumentHelp("Where state lives: memory:, sqlite:PATH or postgres://… (default sqlite:./arriwa.db).", valueName: "url"))
    var databaseURL: String?

    @Option(help: ArgumentHelp("Address to listen on (default 0.0.0.0).", valueName: "host"))
    var host: String?

    @Option(help: ArgumentHelp("Port to listen on (default 8080).", valueName: "port"))
    var port: Int?

    @Option(help: ArgumentHelp("Concurrent turn workers in this process (default 4).", valueName: "n"))
    var workers: Int?

    @Option(name: .customLong("dispatch-concurrency"),
            help: ArgumentHelp("Outbox deliveries in flight at once in this process (default 256; ARRIWA_DISPATCH_CONCURRENCY).", valueName: "n"))
    var dispatchConcurrency: Int?

    @Option(name: .customLong("deploy"),
            help: ArgumentHelp("Validate a tenant directory and store it as the tenant's active version before serving (repeatable).",
                               valueName: "tenant-dir"))
    var deploy: [String] = []

    @Option(name: .customLong("log-format"), help: ArgumentHelp("Log lines as text or json (default text).", valueName: "format"))
    var logFormat: LogFormat?

    @Option(name: .customLong("log-level"), help: ArgumentHelp("trace, debug, info, notice, warning, error (default info).", valueName: "level"))
    var logLevel: String?

    @Option(name: .customLong("retention-days"),
            help: ArgumentHelp("Days processed inbox entries and delivered outbox rows are kept (default 14, at least 8; ARRIWA_RETENTION_DAYS).",
                               valueName: "days"))
    var retentionDays: Int?

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        let settings = try ServeSettings(command: self, env: env)
        ServeLogging.bootstrap(format: settings.logFormat, level: settings.logLevel)
        let logger = Logger(label: "arriwa.serve")

        let registry = PrometheusCollectorRegistry()
        let factory = PrometheusMetricsFactory(registry: registry)
        MetricsSystem.bootstrap(factory)
        let metrics = RuntimeMetrics(factory: factory)

        let store: any Store
        do {
            store = try await StoreURL.open(try StoreURL(settings.databaseURL), logger: logger)
            let applied = try await store.migrate()
            logger.info("store ready", metadata: ["store": "\(store.kind)", "url": "\(StoreURL.redacted(settings.databaseURL))",
                                                   "migrations_applied": "\(applied)"])
        } catch {
            FileHandle.standardError.write(Data("arriwa serve: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let deployments = Deployments(store: store)
        var deployed: [FlowVersionRecord] = []
        for directory in deploy {
            do {
                let record = try await deployments.deploy(directory: directory, now: SystemClock.nowMillis())
                deployed.append(record)
                let variable = TenantSecrets.variableName(for: record.tenant)
                if env[variable] == nil {
                    logger.warning("no webhook secret for the tenant: its webhook refuses every request",
                                   metadata: ["tenant": "\(record.tenant)", "set": "\(variable)"])
                }
            } catch {
                FileHandle.standardError.write(Data("arriwa serve: cannot deploy \(directory):\n\(error)\n".utf8))
                try? await store.shutdown()
                throw ExitCode(2)
            }
        }

        let providers: ProviderRoutes?
        do {
            providers = try ProviderSetup.routes(for: deployed, env: env, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("arriwa serve: \(error)\n".utf8))
            try? await store.shutdown()
            throw ExitCode(2)
        }

        let httpClient = HTTPClient(eventLoopGroupProvider: .singleton)
        let signal = WakeSignal()
        let scheduler = TimerScheduler(store: store, workers: signal, metrics: metrics)
        var destinations = Self.destinations(env: env, client: httpClient, logger: logger)
        SinkWiring.register(into: &destinations, store: store, env: env, client: httpClient, logger: logger)
        do {
            destinations.channel = try ServeChannel.make(env: env, store: store, client: httpClient, wake: { await signal.wake() },
                                                         logger: logger)
        } catch {
            FileHandle.standardError.write(Data("arriwa serve: \(error)\n".utf8))
            try? await httpClient.shutdown()
            try? await store.shutdown()
            throw ExitCode(2)
        }
        let dispatcher = OutboxDispatcher(store: store, destinations: destinations,
                                          configuration: .init(concurrency: settings.dispatchConcurrency), metrics: metrics)
        // Committed rows go to this process's dispatcher in memory (no claim), while it has room.
        let worker = TurnWorker(store: store, deployments: deployments,
                                configuration: .init(concurrency: settings.workers, classify: Self.classifier(env: env, client: httpClient)),
                                signal: signal, metrics: metrics, handoff: dispatcher)
        let pruner = RetentionPruner(store: store, configuration: .init(retentionDays: settings.retentionDays))
        let host = settings.host
        let app = ArriwaHTTPServer.makeApplication(
            configuration: .init(host: settings.host, port: settings.port),
            dependencies: .init(store: store, deployments: deployments, secrets: .environment(env), metrics: metrics,
                                registry: registry, wake: { await signal.wake() }, providers: providers),
            onServerRunning: { port in logger.info("listening", metadata: ["host": "\(host)", "port": "\(port)"]) })

        // Graceful shutdown runs in reverse order: HTTP first, then timers, turns, deliveries.
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: pruner), .init(service: dispatcher), .init(service: worker), .init(service: scheduler),
                       .init(service: app)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        do {
            try await group.run()
        } catch {
            logger.error("stopped with an error", metadata: ["error": "\(error)"])
        }
        try? await httpClient.shutdown()
        try? await store.shutdown()
        logger.info("stopped")
    }

    /// Rules first, then the model when one is configured in the environment.
    static func classifier(env: [String: String], client: HTTPClient) -> @Sendable (ClassifyRequest) async -> Classification {
        guard let llm = OpenAIClassifier.Configuration.fromEnvironment(env) else { return TurnWorker.rulesOnly }
        let chain = ClassifierChain(model: OpenAIClassifier(configuration: llm, httpClient: client))
        return { request in await chain.classify(request) }
    }

    /// The recording channel (no WhatsApp provider yet), log sinks, and the webhook sink when configured.
    static func destinations(env: [String: String], client: HTTPClient, logger: Logger) -> Destinations {
        var destinations = Destinations(channel: RecordingChannel(logger: Logger(label: "arriwa.channel")))
        if let url = env["ARRIWA_WEBHOOK_SINK_URL"], !url.isEmpty {
            let secret = env["ARRIWA_WEBHOOK_SINK_SECRET"].flatMap { $0.isEmpty ? nil : $0 }
            let sink = WebhookSink(configuration: .init(url: url, secret: secret), client: client)
            destinations.sinks["webhook"] = sink
            for name in (env["ARRIWA_WEBHOOK_SINK_DESTINATIONS"] ?? "").split(separator: ",") {
                let trimmed = name.trimmingCharacters(in: .whitespaces)
                if !trimmed.isEmpty { destinations.sinks[trimmed] = sink }
            }
            logger.info("webhook sink configured", metadata: ["url": "\(url)", "signed": "\(secret != nil)",
                                                              "destinations": "\(destinations.sinks.keys.sorted())"])
        }
        return destinations
    }
}
