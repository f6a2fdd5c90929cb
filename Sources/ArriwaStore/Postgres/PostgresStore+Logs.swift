public import ArriwaCore
import PostgresNIO

extension PostgresStore {
    public func messageLog(tenant: String, messageID: String) async throws -> MessageLogRecord? {
        try await rows(Self.findMessage(tenant: tenant, messageID: messageID)).first.map(Self.messageRecord)
    }

    /// Our id first, then the provider's: two index lookups, one per key (an `OR` of the two would
    /// need a bitmap scan, which the store's connections avoid — see `PostgresStore.open`).
    private static func findMessage(tenant: String, messageID: String) -> PostgresQuery {
        """
        SELECT tenant, message_id, provider_message_id, session_id, lane, node, state, updated_at FROM (
            SELECT *, 0 AS preference FROM message_log WHERE tenant = \(tenant) AND message_id = \(messageID)
            UNION ALL
            SELECT *, 1 FROM message_log WHERE tenant = \(tenant) AND provider_message_id = \(messageID)
        ) found ORDER BY preference LIMIT 1
        """
    }

    /// Find the row by our id or the provider's, lock it, and move its state forward only
    /// (`DeliveryState.accepts`). Concurrent records go out together (`deliveries`, one batch at a
    /// time): one transaction — one WAL flush — per batch, of two statements whatever its size (lock
    /// the rows, then update them), applied in arrival order in between (`DeliveryUpdate.apply`) as
    /// one transaction per record would have; a record alone is one prepared statement. A batch
    /// that fails (a deadlock with a turn commit) is recorded record by record.
    public func recordDelivery(tenant: String, messageID: String, providerMessageID: String?, state: String, at: Int64) async throws {
        let update = DeliveryUpdate(tenant: tenant, messageID: messageID, providerMessageID: providerMessageID, state: state, at: at)
        try await deliveries.submit(update) { batch in
            try await self.writeDeliveries(batch)
            return batch.map { _ in () }
        }
    }

    private func writeDeliveries(_ batch: [DeliveryUpdate]) async throws {
        if batch.count == 1 {
            _ = try await prepared(DeliveryStatement(batch[0]))
            return
        }
        do {
            try await transaction { connection in
                let keys = DeliveryUpdate.keys(batch)
                // Locked in the primary key's order, as the turn commit locks the messages it marks
                // replied (`BatchTurnStatement`): two transactions taking message rows in one order
                // never wait on each other in a cycle.
                // (One index look-up per key and id kind: a join on `message_id = k.id OR
                // provider_message_id = k.id` is planned as a scan of the whole log.)
                let found = try await rows("""
                    WITH k AS (SELECT * FROM unnest(\(keys.map(\.tenant))::text[], \(keys.map(\.id))::text[]) AS k(tenant, id)),
                    ids AS (SELECT m.tenant, m.message_id FROM k JOIN message_log m ON m.tenant = k.tenant AND m.message_id = k.id
                            UNION
                            SELECT m.tenant, m.message_id FROM k JOIN message_log m ON m.tenant = k.tenant AND m.provider_message_id = k.id)
                    SELECT m.tenant, m.message_id, m.provider_message_id, m.session_id, m.lane, m.node, m.state, m.updated_at
                    FROM ids JOIN message_log m ON m.tenant = ids.tenant AND m.message_id = ids.message_id
                    ORDER BY m.tenant, m.message_id
                    FOR UPDATE OF m
                    """, on: connection).map(Self.messageRecord)
                let finals = DeliveryUpdate.apply(batch, to: found)
                guard !finals.isEmpty else { return }
                // NULLIF: a provider id is never empty, and arrays of optionals do not bind.
                try await rows("""
                    UPDATE message_log m SET provider_message_id = NULLIF(u.provider_message_id, ''), state = u.state, updated_at = u.updated_at
                    FROM unnest(\(finals.map(\.tenant))::text[], \(finals.map(\.messageID))::text[],
                                \(finals.map { $0.providerMessageID ?? "" })::text[], \(finals.map(\.state))::text[],
                                \(finals.map(\.updatedAt))::bigint[]) AS u(tenant, message_id, provider_message_id, state, updated_at)
                    WHERE m.tenant = u.tenant AND m.message_id = u.message_id
                    """, on: connection)
            }
        } catch {
            // E.g. a deadlock with a turn commit marking one of these messages replied: each record
            // again on its own, as before batching.
            logger.debug("a batch of delivery records was rolled back; recording each alone",
                         metadata: ["records": "\(batch.count)", "reason": "\(error)"])
            deliveriesAlone.add(batch.count, ordering: .relaxed)
            var failure: (any Error)?
            for update in batch {
                do {
                    _ = try await prepared(DeliveryStatement(update))
                } catch {
                    failure = failure ?? error
                }
            }
            if let failure { throw failure }
        }
    }

    /// Delivery records written one by one because the batch they were in failed.
    var deliveryRecordsAlone: Int { deliveriesAlone.load(ordering: .relaxed) }

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

/// One delivery record (see `PostgresStore.recordDelivery`), prepared once per connection.
struct DeliveryStatement: PostgresPreparedStatement {
    typealias Row = PostgresRow

    static let name = "arriwa_record_delivery_v1"

    static let sql: String = {
        let accepts = DeliveryState.sql(next: "$4::text", current: "m.state")
        return """
            WITH target AS (
                SELECT tenant, message_id FROM message_log
                WHERE tenant = $1 AND message_id = (
                    SELECT id FROM (
                        SELECT message_id AS id, 0 AS preference FROM message_log WHERE tenant = $1 AND message_id = $2
                        UNION ALL
                        SELECT message_id, 1 FROM message_log WHERE tenant = $1 AND provider_message_id = $2
                    ) found ORDER BY preference LIMIT 1)
                FOR UPDATE)
            UPDATE message_log m SET provider_message_id = COALESCE($3, m.provider_message_id),
                state = CASE WHEN \(accepts) THEN $4::text ELSE m.state END,
                updated_at = CASE WHEN \(accepts) THEN $5 ELSE m.updated_at END
            FROM target WHERE m.tenant = target.tenant AND m.message_id = target.message_id
            """
    }()

    static let bindingDataTypes: [PostgresDataType] = [.text, .text, .text, .text, .int8]

    let update: DeliveryUpdate

    init(_ update: DeliveryUpdate) {
        self.update = update
    }

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 5)
        bindings.append(update.tenant)
        bindings.append(update.messageID)
        bindings.append(update.providerMessageID)
        bindings.append(update.state)
        bindings.append(update.at)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}
