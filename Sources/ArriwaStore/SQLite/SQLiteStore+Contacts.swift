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

extension SQLiteStore {
    public func prune(olderThan cutoff: Int64, limit: Int) async throws -> PruneCounts {
        guard limit > 0 else { return PruneCounts() }
        return try await transaction {
            // Oldest first by key order: old rows sit at the start of the table, so the scan stops early.
            let inbox = try await query("""
                DELETE FROM inbox WHERE seq IN (
                    SELECT seq FROM inbox WHERE status = 'done' AND received_at < ? ORDER BY seq LIMIT ?) RETURNING seq
                """, [.int64(cutoff), .integer(limit)]).count
            let outbox = try await query("""
                DELETE FROM outbox WHERE id IN (
                    SELECT id FROM outbox WHERE status = 'delivered' AND delivered_at < ? ORDER BY id LIMIT ?) RETURNING id
                """, [.int64(cutoff), .integer(limit)]).count
            return PruneCounts(inbox: inbox, outbox: outbox)
        }
    }
}
