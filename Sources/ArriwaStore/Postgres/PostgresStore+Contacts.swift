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

extension PostgresStore {
    public func prune(olderThan cutoff: Int64, limit: Int) async throws -> PruneCounts {
        guard limit > 0 else { return PruneCounts() }
        // Oldest first by key order; SKIP LOCKED leaves rows a worker holds for the next round.
        let rows = try await rows("""
            WITH inbox_gone AS (
                DELETE FROM inbox WHERE seq IN (
                    SELECT seq FROM inbox WHERE status = 'done' AND received_at < \(cutoff) ORDER BY seq LIMIT \(Int64(limit))
                    FOR UPDATE SKIP LOCKED) RETURNING 1),
            outbox_gone AS (
                DELETE FROM outbox WHERE id IN (
                    SELECT id FROM outbox WHERE status = 'delivered' AND delivered_at < \(cutoff) ORDER BY id LIMIT \(Int64(limit))
                    FOR UPDATE SKIP LOCKED) RETURNING 1)
            SELECT (SELECT COUNT(*) FROM inbox_gone) AS inbox, (SELECT COUNT(*) FROM outbox_gone) AS outbox
            """)
        guard let first = rows.first else { return PruneCounts() }
        let row = StoredRow(first, table: "inbox")
        let inbox: Int64 = try row.get("inbox")
        let outbox: Int64 = try row.get("outbox")
        return PruneCounts(inbox: Int(inbox), outbox: Int(outbox))
    }
}
