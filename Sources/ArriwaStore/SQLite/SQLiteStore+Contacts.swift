public import ArriwaCore
import Foundation
import SQLiteNIO

extension SQLiteStore {
    public func appendAudit(tenant: String, record: AuditRecord) async throws {
        try await transaction {
            try await execute("INSERT INTO audit_log (tenant, session_id, type, detail, at) VALUES (?, ?, ?, ?, ?)",
                              [.text(tenant), .text(record.sessionID), .text(record.type), .text(record.detail), .integer(Int(record.at))])
        }
    }

    public func saveContactAddress(_ address: ContactAddress) async throws {
        try await transaction {
            try await execute("""
                INSERT INTO contact_addresses (tenant, lane, kind, sealed, updated_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (tenant, lane) DO UPDATE SET kind = excluded.kind, sealed = excluded.sealed, updated_at = excluded.updated_at
                """, [.text(address.tenant), .text(address.lane), .text(address.kind.rawValue), .data(address.sealed),
                      .integer(Int(address.updatedAt))])
        }
    }

    public func contactAddress(tenant: String, lane: String) async throws -> ContactAddress? {
        try await read {
            try await query("SELECT kind, sealed, updated_at FROM contact_addresses WHERE tenant = ? AND lane = ?",
                            [.text(tenant), .text(lane)]).first.map { row in
                ContactAddress(tenant: tenant, lane: lane, kind: ContactAddress.Kind(rawValue: try row.string("kind")) ?? .other,
                               sealed: row.optionalData("sealed") ?? Data(), updatedAt: try row.int("updated_at"))
            }
        }
    }
}
