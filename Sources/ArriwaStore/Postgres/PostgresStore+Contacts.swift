public import ArriwaCore
import Foundation
import NIOCore
import PostgresNIO

extension PostgresStore {
    public func appendAudit(tenant: String, record: AuditRecord) async throws {
        try await rows("""
            INSERT INTO audit_log (tenant, session_id, type, detail, at)
            VALUES (\(tenant), \(record.sessionID), \(record.type), \(record.detail), \(record.at))
            """)
    }

    public func saveContactAddress(_ address: ContactAddress) async throws {
        try await rows("""
            INSERT INTO contact_addresses (tenant, lane, kind, sealed, updated_at)
            VALUES (\(address.tenant), \(address.lane), \(address.kind.rawValue), \(ByteBuffer(bytes: address.sealed)), \(address.updatedAt))
            ON CONFLICT (tenant, lane) DO UPDATE SET kind = excluded.kind, sealed = excluded.sealed, updated_at = excluded.updated_at
            """)
    }

    public func contactAddress(tenant: String, lane: String) async throws -> ContactAddress? {
        try await rows("SELECT kind, sealed, updated_at FROM contact_addresses WHERE tenant = \(tenant) AND lane = \(lane)").first.map { postgresRow in
            let row = StoredRow(postgresRow, table: "contact_addresses")
            let kind: String = try row.get("kind")
            let sealed: ByteBuffer = try row.get("sealed")
            return ContactAddress(tenant: tenant, lane: lane, kind: ContactAddress.Kind(rawValue: kind) ?? .other,
                                  sealed: Data(sealed.readableBytesView), updatedAt: try row.get("updated_at"))
        }
    }
}
