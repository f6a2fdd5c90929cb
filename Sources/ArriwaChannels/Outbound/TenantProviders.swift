public import ArriwaStore
public import Foundation

/// Each tenant's `ProviderSettings`, read from tenant.yaml of its active deployed version and
/// kept for `ttlMillis` (a redeploy is picked up within that time).
public actor TenantProviders {
    struct Entry {
        var settings: Result<ProviderSettings, SendFailure>
        var loadedAt: ContinuousClock.Instant
    }

    let store: any Store
    let environment: [String: String]
    let ttl: Duration
    private var cache: [String: Entry] = [:]

    public init(store: any Store, environment: [String: String] = ProcessInfo.processInfo.environment,
                ttl: Duration = .seconds(30)) {
        self.store = store
        self.environment = environment
        self.ttl = ttl
    }

    /// The tenant's settings; a configuration problem throws `SendFailure.configuration` naming
    /// the key or variable, a store error is rethrown as is.
    public func settings(tenant: String) async throws -> ProviderSettings {
        if let entry = cache[tenant], entry.loadedAt.duration(to: .now) < ttl { return try entry.settings.get() }
        guard let record = try await store.activeFlowVersion(tenant: tenant) else {
            throw SendFailure.configuration("tenant \(tenant) has no deployed version")
        }
        let text = record.files["tenant.yaml"] ?? ""
        let result: Result<ProviderSettings, SendFailure>
        do {
            result = .success(try ProviderSettings.parse(tenantYAML: text, tenant: tenant, environment: environment))
        } catch {
            result = .failure(error)
        }
        cache[tenant] = Entry(settings: result, loadedAt: .now)
        return try result.get()
    }
}
