public import ArriwaChannels
import ArriwaRuntime
import ArriwaStore
import Hummingbird
import Logging

/// The WhatsApp providers' webhook routes, per tenant and provider, the tenant's webhook secret in
/// the path (providers cannot all sign, and Meta's handshake is a plain GET):
///
/// - `GET  /webhook/{tenant}/{secret}/cloud` — Meta's verification handshake;
/// - `POST /webhook/{tenant}/{secret}/cloud` — Cloud API messages and statuses (X-Hub-Signature-256
///   checked when the tenant has an app secret);
/// - `POST /webhook/{tenant}/{secret}/gupshup` — Gupshup v2 callbacks or the v3 passthrough;
/// - `POST /webhook/{tenant}/{secret}/evolution` — Evolution API `messages.upsert`.
public struct ProviderRoutes: Sendable {
    /// Credentials per tenant (from the variables tenant.yaml names).
    public var directory: ProviderDirectory
    /// Seals leads' addresses before they reach the store (`ARRIWA_CONTACT_KEY`).
    public var sealer: AddressSealer

    public init(directory: ProviderDirectory, sealer: AddressSealer) {
        self.directory = directory
        self.sealer = sealer
    }

    func register(on router: Router<BasicRequestContext>, configuration: ArriwaHTTPServer.Configuration,
                  dependencies: ArriwaHTTPServer.Dependencies, logger: Logger) {
        let contacts = ContactBook(store: dependencies.store, sealer: sealer)
        for provider in WebhookProvider.allCases {
            let controller = ProviderWebhookController(
                provider: provider, store: dependencies.store, deployments: dependencies.deployments, directory: directory,
                contacts: contacts, clock: dependencies.clock, metrics: dependencies.metrics, maxBodyBytes: configuration.maxBodyBytes,
                wake: dependencies.wake, logger: logger)
            router.post("/webhook/:tenant/:secret/\(provider.rawValue)") { request, context in
                try await controller.receive(request, context: context)
            }
        }
        let verification = CloudVerificationController(store: dependencies.store, deployments: dependencies.deployments,
                                                       directory: directory, clock: dependencies.clock, metrics: dependencies.metrics,
                                                       logger: logger)
        router.get("/webhook/:tenant/:secret/cloud") { request, context in try await verification.verify(request, context: context) }
    }
}
