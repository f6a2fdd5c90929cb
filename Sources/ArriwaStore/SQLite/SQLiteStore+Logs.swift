public import ArriwaCore
import SQLiteNIO

extension SQLiteStore {
    static let messageColumns = "tenant, message_id, provider_message_id, session_id, lane, node, state, updated_at"
    /// `messageColumns` of the table aliased `m`.
    static let messageColumnsOfM = "m.tenant, m.message_id, m.provider_message_id, m.session_id, m.lane, m.node, m.state, m.updated_at"

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

    /// Concurrent deliveries' records go out together (`deliveries`): one look-up and one update
    /// for the batch, applied in arrival order exactly as one transaction each would have.
    public func recordDelivery(tenant: String, messageID: String, providerMessageID: String?, state: String, at: Int64) async throws {
        let update = DeliveryUpdate(tenant: tenant, messageID: messageID, providerMessageID: providerMessageID, state: state, at: at)
        try await deliveries.submit(update) { batch in
            try await self.writeDeliveries(batch)
            return batch.map { _ in () }
        }
    }

    private func writeDeliveries(_ batch: [DeliveryUpdate]) async throws {
        try await transaction { try await applyDeliveries(batch) }
    }

    /// Writes `batch` in arrival order, inside the caller's transaction: one look-up and one update.
    func applyDeliveries(_ batch: [DeliveryUpdate]) async throws {
        // The batch's messages by our id and by the provider's (two index look-ups per key).
        var found: [MessageLogRecord] = []
        for chunk in DeliveryUpdate.keys(batch).chunked(Self.rowsPerStatement(columns: 2)) {
            let rows = try await query("""
                WITH k(tenant, id) AS (VALUES \(Self.placeholders(rows: chunk.count, columns: 2)))
                SELECT \(Self.messageColumnsOfM)
                FROM k JOIN message_log m ON m.tenant = k.tenant AND m.message_id = k.id
                UNION
                SELECT \(Self.messageColumnsOfM)
                FROM k JOIN message_log m ON m.tenant = k.tenant AND m.provider_message_id = k.id
                """, chunk.flatMap { [.text($0.tenant), .text($0.id)] })
            found += try rows.map(Self.messageRecord)
        }
        let finals = DeliveryUpdate.apply(batch, to: found)
        for chunk in finals.chunked(Self.rowsPerStatement(columns: 5)) {
            try await execute("""
                WITH u(tenant, message_id, provider_message_id, state, updated_at) AS (VALUES \(Self.placeholders(rows: chunk.count, columns: 5)))
                UPDATE message_log SET provider_message_id = u.provider_message_id, state = u.state, updated_at = u.updated_at
                FROM u WHERE message_log.tenant = u.tenant AND message_log.message_id = u.message_id
                """, chunk.flatMap { [.text($0.tenant), .text($0.messageID), .text($0.providerMessageID), .text($0.state), .int64($0.updatedAt)] })
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

