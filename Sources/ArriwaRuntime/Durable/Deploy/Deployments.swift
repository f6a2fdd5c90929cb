public import ArriwaCore
public import ArriwaStore
public import Logging

/// Deployed flow versions: stores new ones, compiles stored ones on demand and keeps the compiled
/// engines by (tenant, version). Sessions stay on the version they started on
/// (`SessionState.flowVersion`); new sessions start on the tenant's active version.
public actor Deployments {
    private struct Key: Hashable {
        var tenant: String
        var version: String
    }

    public let store: any Store
    private let logger: Logger
    private var engines: [Key: Engine] = [:]
    /// Tenants seen deployed (a tenant is never undeployed while the process runs).
    private var known: Set<String> = []
    /// Each tenant's active version as last read, and when: new sessions start on it without a
    /// read per new lead. A deploy here updates it at once; one by another process is seen within
    /// `activeVersionTTL`.
    private var active: [String: (version: String, readAt: ContinuousClock.Instant)] = [:]
    /// How long a read active version is trusted.
    public static let activeVersionTTL: Duration = .seconds(1)

    public init(store: any Store, logger: Logger = Logger(label: "arriwa.deployments")) {
        self.store = store
        self.logger = logger
    }

    /// Validates and stores the tenant at `directory`; it becomes the tenant's active version.
    @discardableResult
    public func deploy(directory: String, now: Int64) async throws -> FlowVersionRecord {
        let (record, program) = try await FlowVersionRecord.build(directory: directory, now: now)
        let added = try await store.saveFlowVersion(record)
        engines[Key(tenant: record.tenant, version: record.version)] = Engine(program: program)
        known.insert(record.tenant)
        active[record.tenant] = (record.version, .now)
        logger.info("deployed flow version", metadata: ["tenant": "\(record.tenant)", "version": "\(record.version)",
                                                        "new": "\(added)"])
        return record
    }

    /// The engine of a stored version (compiled once, then cached).
    public func engine(tenant: String, version: String) async throws -> Engine {
        let key = Key(tenant: tenant, version: version)
        if let engine = engines[key] { return engine }
        guard let record = try await store.flowVersion(tenant: tenant, version: version) else {
            throw DeploymentError(.notDeployed, tenant: tenant, "version \(version) is not stored")
        }
        let engine = Engine(program: try record.compile())
        engines[key] = engine
        return engine
    }

    /// The engine new sessions of the tenant start on.
    public func activeEngine(tenant: String) async throws -> Engine {
        if let current = active[tenant], ContinuousClock.now - current.readAt < Self.activeVersionTTL,
           let engine = engines[Key(tenant: tenant, version: current.version)] {
            return engine
        }
        guard let record = try await store.activeFlowVersion(tenant: tenant) else {
            throw DeploymentError(.notDeployed, tenant: tenant, "no flow version is deployed")
        }
        known.insert(tenant)
        active[tenant] = (record.version, .now)
        let key = Key(tenant: tenant, version: record.version)
        if let engine = engines[key] { return engine }
        let engine = Engine(program: try record.compile())
        engines[key] = engine
        return engine
    }

    /// The engine for a turn: the session's pinned version, else the active one.
    public func engine(for state: SessionState?, tenant: String) async throws -> Engine {
        if let state { return try await engine(tenant: tenant, version: state.flowVersion) }
        return try await activeEngine(tenant: tenant)
    }

    /// True when the tenant has a deployed version (the webhook answers 404 otherwise).
    public func isDeployed(tenant: String) async throws -> Bool {
        if known.contains(tenant) { return true }
        guard try await store.activeFlowVersion(tenant: tenant) != nil else { return false }
        known.insert(tenant)
        return true
    }
}
