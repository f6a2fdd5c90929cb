public import ArriwaRuntime
public import ArriwaStore
public import Hummingbird
public import Logging
public import Prometheus
public import ArriwaSinks
import NIOCore

/// The HTTP side of `arriwa serve`: the inbound webhook, health checks and metrics, as a
/// Hummingbird application (a ServiceLifecycle `Service`).
///
/// Routes:
/// - `POST /v1/tenants/{tenant}/inbound` — provider-neutral messages and statuses (`InboundPayload`);
/// - `POST /v1/tenants/{tenant}/stripe/webhook` — Stripe checkout events (`StripeWebhookController`);
/// - `POST /v1/tenants/{tenant}/crm/webhook` — CRM lead changes → conversion levels (`CRMWebhookController`);
/// - `GET /healthz` — the process is alive;
/// - `GET /readyz` — the store answers a ping in time (503 otherwise);
/// - `GET /metrics` — Prometheus text format;
/// - `/webhook/{tenant}/{secret}/{cloud|gupshup|evolution}` — WhatsApp providers (`ProviderRoutes`).
public enum ArriwaHTTPServer {
    public struct Configuration: Sendable {
        public var host: String
        /// 0 binds a free port (tests); `onServerRunning` gets the real one.
        public var port: Int
        /// Larger webhook bodies are refused with 413.
        public var maxBodyBytes: Int
        /// `/readyz` answers 503 when the store's ping takes longer.
        public var readinessTimeout: Duration
        public var serverName: String

        public init(host: String = "127.0.0.1", port: Int = 8080, maxBodyBytes: Int = 256 * 1024,
                    readinessTimeout: Duration = .seconds(2), serverName: String = "arriwa") {
            self.host = host
            self.port = port
            self.maxBodyBytes = maxBodyBytes
            self.readinessTimeout = readinessTimeout
            self.serverName = serverName
        }
    }

    /// Everything the routes use.
    public struct Dependencies: Sendable {
        public var store: any Store
        public var deployments: Deployments
        public var secrets: TenantSecrets
        public var clock: any RuntimeClock
        public var metrics: RuntimeMetrics
        public var registry: PrometheusCollectorRegistry
        /// Called after an append (wakes the turn workers).
        public var wake: @Sendable () async -> Void
        /// Tenant sink settings for the Stripe and CRM webhooks (default: read from the store, secrets from the process environment).
        public var sinkConfigs: SinkConfigs?
        /// The WhatsApp provider webhooks (`/webhook/{tenant}/{secret}/{provider}`); none when nil.
        public var providers: ProviderRoutes?

        public init(store: any Store, deployments: Deployments, secrets: TenantSecrets, clock: any RuntimeClock = SystemClock(),
                    metrics: RuntimeMetrics, registry: PrometheusCollectorRegistry, wake: @escaping @Sendable () async -> Void,
                    sinkConfigs: SinkConfigs? = nil, providers: ProviderRoutes? = nil) {
            self.providers = providers
            self.store = store
            self.deployments = deployments
            self.secrets = secrets
            self.clock = clock
            self.metrics = metrics
            self.registry = registry
            self.wake = wake
            self.sinkConfigs = sinkConfigs
        }
    }

    public static func makeRouter(configuration: Configuration, dependencies: Dependencies,
                                  logger: Logger) -> Router<BasicRequestContext> {
        let router = Router()
        let inbound = InboundController(store: dependencies.store, deployments: dependencies.deployments,
                                        secrets: dependencies.secrets, clock: dependencies.clock, metrics: dependencies.metrics,
                                        maxBodyBytes: configuration.maxBodyBytes, wake: dependencies.wake, logger: logger)
        let health = HealthController(store: dependencies.store, registry: dependencies.registry,
                                      readinessTimeout: configuration.readinessTimeout, logger: logger)
        router.post("/v1/tenants/:tenant/inbound") { request, context in try await inbound.handle(request, context: context) }
        let configs = dependencies.sinkConfigs ?? SinkConfigs(store: dependencies.store)
        let stripe = StripeWebhookController(store: dependencies.store, deployments: dependencies.deployments, configs: configs,
                                             clock: dependencies.clock, maxBodyBytes: configuration.maxBodyBytes, wake: dependencies.wake,
                                             logger: logger)
        let crm = CRMWebhookController(store: dependencies.store, deployments: dependencies.deployments, configs: configs,
                                       secrets: dependencies.secrets, clock: dependencies.clock, maxBodyBytes: configuration.maxBodyBytes,
                                       wake: dependencies.wake, logger: logger)
        router.post("/v1/tenants/:tenant/stripe/webhook") { request, context in try await stripe.handle(request, context: context) }
        router.post("/v1/tenants/:tenant/crm/webhook") { request, context in try await crm.handle(request, context: context) }
        router.get("/healthz") { request, context in try await health.healthz(request, context: context) }
        router.get("/readyz") { request, context in try await health.readyz(request, context: context) }
        router.get("/metrics") { request, context in try await health.metrics(request, context: context) }
        dependencies.providers?.register(on: router, configuration: configuration, dependencies: dependencies, logger: logger)
        return router
    }

    /// The application. `onServerRunning` receives the bound port.
    public static func makeApplication(configuration: Configuration, dependencies: Dependencies,
                                       logger: Logger = Logger(label: "arriwa.http"),
                                       onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let router = makeRouter(configuration: configuration, dependencies: dependencies, logger: logger)
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: configuration.serverName),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
            logger: logger
        )
    }
}
