public import ArriwaCore
import PostgresNIO

extension PostgresStore {
    public func messageLog(tenant: String, messageID: String) async throws -> MessageLogRecord? {
        try await rows(Self.findMessage(tenant: tenant, messageID: messageID)).first.map(Self.messageRecord)
    }

    /// Our id first, then the provider's.
    private static func findMessage(tenant: String, messageID: String) -> PostgresQuery {
        """
        SELECT tenant, message_id, provider_message_id, session_id, lane, node, state, updated_at FROM message_log
        WHERE tenant = \(tenant) AND (message_id = \(messageID) OR provider_message_id = \(messageID))
        ORDER BY message_id = \(messageID) DESC LIMIT 1
        """
    }

    /// One statement (one round trip): find the row by our id or the provider's, lock it, and move
    /// its state forward only (`DeliveryState.accepts`, in SQL).
    public func recordDelivery(tenant: String, messageID: String, providerMessageID: String?, state: String, at: Int64) async throws {
        var builder = StatementBuilder()
        let tenantBind = builder.bind(tenant), idBind = builder.bind(messageID), providerBind = builder.bind(providerMessageID)
        let stateBind = "\(builder.bind(state))::text", atBind = builder.bind(at)
        let accepts = DeliveryState.sql(next: stateBind, current: "m.state")
        builder.append("""
            WITH target AS (
                SELECT tenant, message_id FROM message_log
                WHERE tenant = \(tenantBind) AND (message_id = \(idBind) OR provider_message_id = \(idBind))
                ORDER BY message_id = \(idBind) DESC LIMIT 1 FOR UPDATE)
            UPDATE message_log m SET provider_message_id = COALESCE(\(providerBind), m.provider_message_id),
                state = CASE WHEN \(accepts) THEN \(stateBind) ELSE m.state END,
                updated_at = CASE WHEN \(accepts) THEN \(atBind) ELSE m.updated_at END
            FROM target WHERE m.tenant = target.tenant AND m.message_id = target.message_id
            """)
        try await rows(builder.query)
    }

    public func auditLog(tenant: String, sessionID: String?, limit: Int) async throws -> [AuditRecord] {
        try await rows("""
            SELECT session_id, type, detail, at FROM audit_log WHERE tenant = \(tenant) AND (\(sessionID)::text IS NULL OR session_id = \(sessionID))
            ORDER BY id LIMIT \(Int64(max(0, limit)))
            """).map { postgresRow in
            let row = StoredRow(postgresRow, table: "audit_log")
            return AuditRecord(type: try row.get("type"), sessionID: try row.get("session_id"), detail: try row.get("detail"), at: try row.get("at"))
        }
    }

    public func eventLog(tenant: String, sessionID: String?, limit: Int) async throws -> [EventLogRecord] {
        try await rows("""
            SELECT tenant, key, session_id, event, stream, at FROM event_log WHERE tenant = \(tenant) AND (\(sessionID)::text IS NULL OR session_id = \(sessionID))
            ORDER BY id LIMIT \(Int64(max(0, limit)))
            """).map { postgresRow in
            let row = StoredRow(postgresRow, table: "event_log")
            return EventLogRecord(tenant: try row.get("tenant"), key: try row.get("key"), sessionID: try row.get("session_id"),
                                  event: try row.get("event"), stream: try row.get("stream"), at: try row.get("at"))
        }
    }

    static func messageRecord(_ postgresRow: PostgresRow) throws -> MessageLogRecord {
        let row = StoredRow(postgresRow, table: "message_log")
        return MessageLogRecord(tenant: try row.get("tenant"), messageID: try row.get("message_id"), providerMessageID: try row.optional("provider_message_id"),
                                sessionID: try row.get("session_id"), lane: try row.get("lane"), node: try row.optional("node"),
                                state: try row.get("state"), updatedAt: try row.get("updated_at"))
    }
}
