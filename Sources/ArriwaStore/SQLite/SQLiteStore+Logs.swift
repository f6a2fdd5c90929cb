public import ArriwaCore
import SQLiteNIO

extension SQLiteStore {
    static let messageColumns = "tenant, message_id, provider_message_id, session_id, lane, node, state, updated_at"

    public func messageLog(tenant: String, messageID: String) async throws -> MessageLogRecord? {
        try await read { try await findMessage(tenant: tenant, messageID: messageID) }
    }

    /// Our id first, then the provider's.
    private func findMessage(tenant: String, messageID: String) async throws -> MessageLogRecord? {
        // Two index look-ups (our id, then the provider's): SQLite answers `message_id = ? OR
        // provider_message_id = ?` by scanning every message of the tenant.
        try await query("""
            SELECT \(Self.messageColumns) FROM (
                SELECT \(Self.messageColumns), 0 AS preference FROM message_log WHERE tenant = ? AND message_id = ?
                UNION ALL
                SELECT \(Self.messageColumns), 1 AS preference FROM message_log WHERE tenant = ? AND provider_message_id = ?)
            ORDER BY preference LIMIT 1
            """, [.text(tenant), .text(messageID), .text(tenant), .text(messageID)]).first.map(Self.messageRecord)
    }

    public func recordDelivery(tenant: String, messageID: String, providerMessageID: String?, state: String, at: Int64) async throws {
        try await transaction {
            guard var record = try await findMessage(tenant: tenant, messageID: messageID) else { return }
            if let providerMessageID { record.providerMessageID = providerMessageID }
            if DeliveryState.accepts(state, over: record.state) {
                record.state = state
                record.updatedAt = at
            }
            try await execute("UPDATE message_log SET provider_message_id = ?, state = ?, updated_at = ? WHERE tenant = ? AND message_id = ?",
                              [.text(record.providerMessageID), .text(record.state), .int64(record.updatedAt), .text(tenant), .text(record.messageID)])
        }
    }

    public func auditLog(tenant: String, sessionID: String?, limit: Int) async throws -> [AuditRecord] {
        try await read {
            try await query("""
                SELECT session_id, type, detail, at FROM audit_log WHERE tenant = ? AND (? IS NULL OR session_id = ?) ORDER BY id LIMIT ?
                """, [.text(tenant), .text(sessionID), .text(sessionID), .integer(max(0, limit))]).map { row in
                AuditRecord(type: try row.string("type"), sessionID: try row.string("session_id"), detail: try row.string("detail"), at: try row.int("at"))
            }
        }
    }

    public func eventLog(tenant: String, sessionID: String?, limit: Int) async throws -> [EventLogRecord] {
        try await read {
            try await query("""
                SELECT tenant, key, session_id, event, stream, at FROM event_log WHERE tenant = ? AND (? IS NULL OR session_id = ?) ORDER BY id LIMIT ?
                """, [.text(tenant), .text(sessionID), .text(sessionID), .integer(max(0, limit))]).map { row in
                EventLogRecord(tenant: try row.string("tenant"), key: try row.string("key"), sessionID: try row.string("session_id"),
                               event: try row.string("event"), stream: try row.string("stream"), at: try row.int("at"))
            }
        }
    }

    static func messageRecord(_ row: SQLiteRow) throws -> MessageLogRecord {
        MessageLogRecord(tenant: try row.string("tenant"), messageID: try row.string("message_id"),
                         providerMessageID: row.optionalString("provider_message_id"), sessionID: try row.string("session_id"),
                         lane: try row.string("lane"), node: row.optionalString("node"), state: try row.string("state"),
                         updatedAt: try row.int("updated_at"))
    }
}
