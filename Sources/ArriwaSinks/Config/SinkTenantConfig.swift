public import ArriwaCore

/// One tenant's sink configuration, resolved from its deployed tenant.yaml and the environment.
/// Secrets are read on demand through `secret(_:)` and never stored in logs or descriptions.
public struct SinkTenantConfig: Sendable {
    /// A Meta dataset a stream sends to.
    public struct Stream: Sendable, Hashable {
        public var datasetID: String
        public var tokenEnv: String?
        public var actionSource: String

        public init(datasetID: String, tokenEnv: String?, actionSource: String) {
            self.datasetID = datasetID
            self.tokenEnv = tokenEnv
            self.actionSource = actionSource
        }
    }

    public static let defaultGraphURL = "https://graph.facebook.com"

    public var tenant: String
    /// The deployed version this was read from.
    public var version: String
    public var settings: TenantSinkSettings
    /// GOOD / NOISE → dataset.
    public var streams: [String: Stream]
    /// Funnel event → Meta event name (`none`: not sent to CAPI).
    public var eventNames: [String: String]
    /// CRM kind (kommo, bitrix24, none).
    public var crmKind: String?
    let environment: @Sendable (String) -> String?

    public init(tenant: String, version: String, settings: TenantSinkSettings, streams: [String: Stream],
                eventNames: [String: String], crmKind: String?, environment: @escaping @Sendable (String) -> String?) {
        self.tenant = tenant
        self.version = version
        self.settings = settings
        self.streams = streams
        self.eventNames = eventNames
        self.crmKind = crmKind
        self.environment = environment
    }

    /// Built from a parsed tenant.yaml.
    public init(_ tenant: Tenant, version: String, environment: @escaping @Sendable (String) -> String?) {
        var streams: [String: Stream] = [:]
        for (name, stream) in tenant.streams {
            streams[name] = Stream(datasetID: stream.datasetID.value, tokenEnv: stream.tokenEnv, actionSource: stream.actionSource)
        }
        self.init(tenant: tenant.id?.value ?? "", version: version, settings: tenant.sinks, streams: streams,
                  eventNames: tenant.eventNames.mapValues(\.value), crmKind: tenant.crmKind, environment: environment)
    }

    /// The value of the environment variable `name` (trimmed; nil when unset or empty).
    public func secret(_ name: String?) -> String? {
        guard let name, let value = environment(name)?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }

    /// Graph API base URL: the override from `conversions.graph_url_env`, else Meta's.
    public var graphURL: String {
        let base = secret(settings.graphURLEnv) ?? Self.defaultGraphURL
        return base.hasSuffix("/") ? String(base.dropLast()) : base
    }
}
