import ArriwaCore
import SQLiteNIO

extension SQLiteStore {
    public func saveFlowVersion(_ record: FlowVersionRecord) async throws -> Bool {
        let files = try StoreJSON.encode(record.files, what: "flow version \(record.version) files")
        return try await transaction {
            let inserted = try await query("""
                INSERT INTO flow_versions (tenant, version, files, created_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (tenant, version) DO NOTHING RETURNING version
                """, [.text(record.tenant), .text(record.version), .text(files), .int64(record.createdAt)])
            try await execute("""
                INSERT INTO tenants (tenant, active_version, updated_at) VALUES (?, ?, ?)
                ON CONFLICT (tenant) DO UPDATE SET active_version = excluded.active_version, updated_at = excluded.updated_at
                """, [.text(record.tenant), .text(record.version), .int64(record.createdAt)])
            return !inserted.isEmpty
        }
    }

    public func flowVersion(tenant: String, version: String) async throws -> FlowVersionRecord? {
        try await read {
            try await query("SELECT tenant, version, files, created_at FROM flow_versions WHERE tenant = ? AND version = ?",
                            [.text(tenant), .text(version)]).first.map(Self.flowVersion)
        }
    }

    public func activeFlowVersion(tenant: String) async throws -> FlowVersionRecord? {
        try await read {
            try await query("""
                SELECT f.tenant, f.version, f.files, f.created_at FROM tenants t
                JOIN flow_versions f ON f.tenant = t.tenant AND f.version = t.active_version WHERE t.tenant = ?
                """, [.text(tenant)]).first.map(Self.flowVersion)
        }
    }

    public func flowVersions(tenant: String) async throws -> [FlowVersionRecord] {
        try await read {
            try await query("SELECT tenant, version, files, created_at FROM flow_versions WHERE tenant = ? ORDER BY created_at, rowid",
                            [.text(tenant)]).map(Self.flowVersion)
        }
    }

    static func flowVersion(_ row: SQLiteRow) throws -> FlowVersionRecord {
        let tenant = try row.string("tenant"), version = try row.string("version")
        return FlowVersionRecord(tenant: tenant, version: version,
                                 files: try StoreJSON.decode([String: String].self, from: try row.string("files"), table: "flow_versions", key: "\(tenant)/\(version)"),
                                 createdAt: try row.int("created_at"))
    }
}
