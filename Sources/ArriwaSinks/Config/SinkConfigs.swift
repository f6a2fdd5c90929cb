import ArriwaCore
public import ArriwaStore
public import Foundation

/// Per-tenant sink configuration, read from the tenant's active deployed version (its stored
/// tenant.yaml) and cached per version, so a redeploy takes effect without a restart.
public actor SinkConfigs {
    public let store: any Store
    let environment: @Sendable (String) -> String?
    /// How long a tenant's configuration is used before the active version is looked up again.
    let refresh: Duration
    private var cache: [String: (config: SinkTenantConfig, checked: ContinuousClock.Instant)] = [:]

    /// - Parameters:
    ///   - environment: looks up an environment variable (credentials, URL overrides).
    ///   - refresh: a redeploy takes effect within this time (the store is asked at most this often per tenant).
    public init(store: any Store, refresh: Duration = .seconds(5),
                environment: @escaping @Sendable (String) -> String? = { ProcessInfo.processInfo.environment[$0] }) {
        self.store = store
        self.refresh = refresh
        self.environment = environment
    }

    /// The tenant's configuration; throws `SinkConfigError` when no version is deployed or tenant.yaml is missing.
    public func config(tenant: String) async throws -> SinkTenantConfig {
        let now = ContinuousClock.now
        if let cached = cache[tenant], now - cached.checked < refresh { return cached.config }
        guard let record = try await store.activeFlowVersion(tenant: tenant) else {
            throw SinkConfigError("tenant '\(tenant)' has no deployed version")
        }
        if let cached = cache[tenant], cached.config.version == record.version {
            cache[tenant] = (cached.config, now)
            return cached.config
        }
        guard let text = record.files[ProjectLoader.tenantFile] else {
            throw SinkConfigError("tenant '\(tenant)' version \(record.version) has no \(ProjectLoader.tenantFile)")
        }
        let project = ProjectLoader.loadTenant(files: [SourceFile(path: ProjectLoader.tenantFile, text: text)])
        guard let parsed = project.tenant else {
            throw SinkConfigError("tenant '\(tenant)': \(ProjectLoader.tenantFile) does not parse")
        }
        var config = SinkTenantConfig(parsed, version: record.version, environment: environment)
        config.tenant = tenant
        cache[tenant] = (config, now)
        return config
    }
}

/// A tenant's sink configuration is missing or unusable.
public struct SinkConfigError: Error, Sendable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
