import ArriwaCore
import Foundation

/// How one tenant sends: tenant.yaml `provider:` with the credentials its `*_env` keys name,
/// read from the environment (never from the file, never logged).
public struct ProviderSettings: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case cloudAPI = "cloud_api"
        case gupshup
        case evolution
        /// Sends nothing: records messages (demos without a provider).
        case fake
    }

    /// Environment overrides of the providers' base URLs (tests and demos point them at the fake
    /// provider). They win over tenant.yaml `provider.base_url`.
    public static let cloudBaseURLVariable = "ARRIWA_WHATSAPP_BASE_URL"
    public static let cloudAPIVersionVariable = "ARRIWA_WHATSAPP_API_VERSION"
    public static let gupshupBaseURLVariable = "ARRIWA_GUPSHUP_BASE_URL"
    public static let evolutionBaseURLVariable = "ARRIWA_EVOLUTION_BASE_URL"
    public static let defaultCloudAPIVersion = "v23.0"

    public var kind: Kind
    /// Cloud API: the phone number id; Gupshup: the business number (`source`); Evolution: the
    /// instance. Also the key of the per-sender token bucket and throttle.
    public var sender: String
    /// Scheme, host and optional path prefix, without a trailing slash.
    public var baseURL: String
    /// Cloud API version path segment (`v23.0`).
    public var apiVersion: String
    /// Bearer token (Cloud API) or `apikey` (Gupshup, Evolution).
    public var credential: String
    /// Gupshup `src.name`.
    public var appName: String?

    public init(kind: Kind, sender: String, baseURL: String, apiVersion: String = Self.defaultCloudAPIVersion, credential: String,
                appName: String? = nil) {
        self.kind = kind
        self.sender = sender
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.apiVersion = apiVersion
        self.credential = credential
        self.appName = appName
    }

    public var description: String {
        "ProviderSettings(kind: \(kind.rawValue), sender: \(sender), baseURL: \(baseURL), credential: <redacted>)"
    }

    /// Reads the `provider:` block of a tenant.yaml text; a tenant without one sends nothing
    /// (`.fake`, recorded). Errors name the key or variable at fault.
    public static func parse(tenantYAML text: String, tenant: String,
                             environment: [String: String]) throws(SendFailure) -> ProviderSettings {
        let (root, _) = YAMLLoader.load(SourceFile(path: "tenant.yaml", text: text))
        guard let provider = root?.mapping?["provider"]?.mapping else {
            return ProviderSettings(kind: .fake, sender: "none", baseURL: "", credential: "")
        }
        func scalar(_ key: String) -> String? {
            guard let value = provider[key]?.scalar, !value.isNull else { return nil }
            let text = value.text.trimmingCharacters(in: .whitespaces)
            return text.isEmpty ? nil : text
        }
        func env(_ name: String) -> String? {
            guard let value = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
            return value
        }
        func secret(_ key: String) throws(SendFailure) -> String {
            guard let variable = scalar(key) else { throw .configuration("tenant \(tenant): provider.\(key) is not set") }
            guard let value = env(variable) else {
                throw .configuration("tenant \(tenant): environment variable \(variable) (provider.\(key)) is not set")
            }
            return value
        }
        func required(_ key: String) throws(SendFailure) -> String {
            guard let value = scalar(key) else { throw .configuration("tenant \(tenant): provider.\(key) is not set") }
            return value
        }
        let kindText = scalar("kind") ?? ""
        guard let kind = Kind(rawValue: kindText) else {
            throw .configuration("tenant \(tenant): provider.kind '\(kindText)' is not one of \(Kind.allCases.map(\.rawValue))")
        }
        switch kind {
        case .fake:
            return ProviderSettings(kind: .fake, sender: scalar("phone_number_id") ?? "fake", baseURL: "", credential: "")
        case .cloudAPI:
            let base = env(cloudBaseURLVariable) ?? scalar("base_url") ?? "https://graph.facebook.com"
            return ProviderSettings(kind: .cloudAPI, sender: try required("phone_number_id"), baseURL: base,
                                    apiVersion: env(cloudAPIVersionVariable) ?? defaultCloudAPIVersion,
                                    credential: try secret("access_token_env"))
        case .gupshup:
            let base = env(gupshupBaseURLVariable) ?? scalar("base_url") ?? "https://api.gupshup.io"
            return ProviderSettings(kind: .gupshup, sender: try required("phone_number_id"), baseURL: base,
                                    credential: try secret("api_key_env"), appName: try required("app_name"))
        case .evolution:
            guard let base = env(evolutionBaseURLVariable) ?? scalar("base_url") else {
                throw .configuration("tenant \(tenant): provider.base_url (or \(evolutionBaseURLVariable)) is not set")
            }
            return ProviderSettings(kind: .evolution, sender: try required("instance"), baseURL: base,
                                    credential: try secret("api_key_env"))
        }
    }
}
