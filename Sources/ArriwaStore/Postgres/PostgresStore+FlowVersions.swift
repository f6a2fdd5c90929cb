import ArriwaCore
import PostgresNIO

extension PostgresStore {
    public func saveFlowVersion(_ record: FlowVersionRecord) async throws -> Bool {
        let files = try StoreJSON.encode(record.files, what: "flow version \(record.version) files")
        let rows = try await rows("""
            WITH saved AS (
                INSERT INTO flow_versions (tenant, version, files, created_at) VALUES (\(record.tenant), \(record.version), \(files)::jsonb, \(record.createdAt))
                ON CONFLICT (tenant, version) DO NOTHING RETURNING 1
            ), active AS (
                INSERT INTO tenants (tenant, active_version, updated_at) VALUES (\(record.tenant), \(record.version), \(record.createdAt))
                ON CONFLICT (tenant) DO UPDATE SET active_version = EXCLUDED.active_version, updated_at = EXCLUDED.updated_at
            )
            SELECT EXISTS (SELECT 1 FROM saved) AS inserted
            """)
        return try rows.first.map { try StoredRow($0, table: "flow_versions").get("inserted", Bool.self) } ?? false
    }

    public func flowVersion(tenant: String, version: String) async throws -> FlowVersionRecord? {
        try await rows("SELECT tenant, version, files::text AS files, created_at FROM flow_versions WHERE tenant = \(tenant) AND version = \(version)")
            .first.map(Self.flowVersion)
    }

    public func activeFlowVersion(tenant: String) async throws -> FlowVersionRecord? {
        try await rows("""
            SELECT f.tenant, f.version, f.files::text AS files, f.created_at FROM tenants t
            JOIN flow_versions f ON f.tenant = t.tenant AND f.version = t.active_version WHERE t.tenant = \(tenant)
            """).first.map(Self.flowVersion)
    }

    public func flowVersions(tenant: String) async throws -> [FlowVersionRecord] {
        try await rows("""
            SELECT tenant, version, files::text AS files, created_at FROM flow_versions WHERE tenant = \(tenant) ORDER BY created_at, version
            """).map(Self.flowVersion)
    }

    static func flowVersion(_ postgresRow: PostgresRow) throws -> FlowVersionRecord {
        let row = StoredRow(postgresRow, table: "flow_versions")
        let tenant = try row.get("tenant", String.self), version = try row.get("version", String.self)
        return FlowVersionRecord(tenant: tenant, version: version,
                                 files: try StoreJSON.decode([String: String].self, from: try row.get("files"), table: "flow_versions", key: "\(tenant)/\(version)"),
                                 createdAt: try row.get("created_at"))
    }
}
