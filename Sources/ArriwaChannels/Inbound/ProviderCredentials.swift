import ArriwaCore
import Foundation

/// A tenant's provider credentials, read from the environment variables its tenant.yaml names
/// (`provider: {kind, app_secret_env, verify_token_env, webhook_secret_env}`). Values are never
/// logged; `description` says only which ones are set.
public struct ProviderCredentials: Sendable, Hashable, CustomStringConvertible {
    /// `provider.kind`: cloud_api, gupshup or evolution.
    public var kind: String?
    /// The secret in the webhook URL path (`webhook_secret_env`); required by every provider route.
    public var webhookSecret: String?
    /// Cloud API app secret (`app_secret_env`): the key of X-Hub-Signature-256.
    public var appSecret: String?
    /// Cloud API verify token (`verify_token_env`) for the GET handshake.
    public var verifyToken: String?

    public init(kind: String? = nil, webhookSecret: String? = nil, appSecret: String? = nil, verifyToken: String? = nil) {
        self.kind = kind
        self.webhookSecret = webhookSecret
        self.appSecret = appSecret
        self.verifyToken = verifyToken
    }

    public var description: String {
        "kind=\(kind ?? "-") webhook_secret=\(webhookSecret == nil ? "unset" : "set") app_secret=\(appSecret == nil ? "unset" : "set") "
            + "verify_token=\(verifyToken == nil ? "unset" : "set")"
    }

    /// Reads tenant.yaml's `provider:` block and resolves the variables it names in `environment`.
    /// Unset or empty variables stay nil.
    public static func from(tenantYAML text: String, environment: [String: String]) -> ProviderCredentials {
        let (root, _) = YAMLLoader.load(SourceFile(path: "tenant.yaml", text: text))
        let provider = root?.mapping?["provider"]?.mapping
        func resolve(_ key: String) -> String? {
            guard let name = provider?[key]?.string,
                  let value = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
            return value
        }
        return ProviderCredentials(kind: provider?["kind"]?.string, webhookSecret: resolve("webhook_secret_env"),
                                   appSecret: resolve("app_secret_env"), verifyToken: resolve("verify_token_env"))
    }
}

/// Every tenant's provider credentials, by tenant id, fixed at server start.
public struct ProviderDirectory: Sendable {
    private let tenants: [String: ProviderCredentials]

    public init(_ tenants: [String: ProviderCredentials]) {
        self.tenants = tenants
    }

    public func credentials(tenant: String) -> ProviderCredentials? { tenants[tenant] }

    public var tenantIDs: [String] { tenants.keys.sorted() }
}
