import ArriwaCore
import PostgresNIO

extension PostgresStore {
    static let outboxColumns = """
        o.id, o.tenant, o.key, o.destination, o.session_id, o.lane, o.effect, o.available_at, o.status, o.attempts,
        o.next_attempt_at, o.last_error, o.created_at, o.delivered_at, o.remote_id
        """

    /// Due rows, locked with SKIP LOCKED so concurrent dispatchers take different rows; the lease
    /// is `next_attempt_at` moved to the end of it (a crashed dispatcher's rows come due again).
    public func claimOutbox(owner: String, limit: Int, now: Int64, leaseMillis: Int64) async throws -> [OutboxRecord] {
        guard limit > 0 else { return [] }
        let rows = try await hot(ClaimOutboxTag.self, Self.claimOutboxQuery(owner: owner, limit: Int64(limit), now: now, until: now + leaseMillis))
        let known = await documents.effects(try rows.map { try StoredRow($0, table: "outbox").get("effect", String.self) })
        return try zip(rows, known).map { postgresRow, effect in
            var record = try Self.outboxRecord(postgresRow, effect: effect)
            record.inDoubt = try StoredRow(postgresRow, table: "outbox").get("in_doubt", Bool.self)
            return record
        }
    }

    static func claimOutboxQuery(owner: String, limit: Int64, now: Int64, until: Int64) -> PostgresQuery {
        """
        WITH picked AS (
            SELECT id, next_attempt_at AS due, owner AS previous_owner FROM outbox WHERE status = 'pending' AND next_attempt_at <= \(now)
            ORDER BY next_attempt_at, id LIMIT \(limit) FOR UPDATE SKIP LOCKED
        ), claimed AS (
            UPDATE outbox o SET attempts = o.attempts + 1, next_attempt_at = \(until), owner = \(owner)
            FROM picked WHERE o.id = picked.id
            RETURNING \(unescaped: Self.outboxColumns), picked.due, picked.previous_owner IS NOT NULL AS in_doubt
        )
        SELECT * FROM claimed ORDER BY due, id
        """
    }

    enum ClaimOutboxTag: HotStatementTag {
        static let name = "arriwa_claim_outbox_v1"
        static let sql = PostgresStore.claimOutboxQuery(owner: "", limit: 0, now: 0, until: 0).sql
        static let types: [PostgresDataType] = [.int8, .int8, .int8, .text]
    }

    /// Concurrent completions (the dispatcher delivers many rows at once) are written together:
    /// one statement from arrays per batch (see BatchWriter). Each row is still guarded by its lease
    /// owner and `status = 'pending'`, exactly as a single update would be. The batch's sent
    /// messages move to `sent` in the message log in the same statement, locked in primary-key
    /// order as every other writer of the message log locks them (so none deadlocks another).
    public func completeOutbox(id: Int64, owner: String, outcome: OutboxOutcome, now: Int64, sent: SentMessage?) async throws {
        try await completions.submit(OutboxCompletion(id: id, owner: owner, outcome: outcome, now: now, sent: sent)) { batch in
            try await self.writeCompletions(batch)
            return batch.map { _ in () }
        }
    }

    private func writeCompletions(_ batch: [OutboxCompletion]) async throws {
        var kinds: [String] = [], remotes: [String] = [], hasRemote: [Bool] = [], ats: [Int64] = [], errors: [String] = []
        for completion in batch {
            switch completion.outcome {
            case .delivered(let remoteID):
                kinds.append("delivered"); remotes.append(remoteID ?? ""); hasRemote.append(remoteID != nil); ats.append(0); errors.append("")
            case .retry(let at, let error):
                kinds.append("retry"); remotes.append(""); hasRemote.append(false); ats.append(at); errors.append(error)
            case .dead(let error):
                kinds.append("dead"); remotes.append(""); hasRemote.append(false); ats.append(0); errors.append(error)
            }
        }
        // A message is sent once per delivered row; should a batch hold it twice, the later wins.
        var sent: [MessageKey: SentMessage] = [:]
        for completion in batch {
            if let message = completion.sent { sent[MessageKey(tenant: message.tenant, id: message.messageID)] = message }
        }
        let messages = Array(sent.values)
        _ = try await hot(CompletionsTag.self, Self.completionsQuery(batch, kinds: kinds, remotes: remotes, hasRemote: hasRemote, ats: ats, errors: errors,
                                                                  messages: messages))
    }

    /// The call of the completion function (`CompletionFunction`) with the batch's arrays.
    static func completionsQuery(_ batch: [OutboxCompletion], kinds: [String], remotes: [String], hasRemote: [Bool], ats: [Int64], errors: [String],
                                 messages: [SentMessage]) -> PostgresQuery {
        """
        SELECT * FROM \(unescaped: CompletionFunction.serverFunction.name)(\(batch.map(\.id))::bigint[], \(batch.map(\.owner))::text[], \(kinds)::text[],
            \(batch.map(\.now))::bigint[], \(remotes)::text[], \(hasRemote)::boolean[], \(ats)::bigint[], \(errors)::text[],
            \(messages.map(\.tenant))::text[], \(messages.map(\.messageID))::text[], \(NullableArray(messages.map(\.providerMessageID)))::text[],
            \(messages.map(\.at))::bigint[])
        """
    }

    enum CompletionsTag: HotStatementTag {
        static let name = "arriwa_complete_outbox_v2"
        static let sql = PostgresStore.completionsQuery([], kinds: [], remotes: [], hasRemote: [], ats: [], errors: [], messages: []).sql
        static let types: [PostgresDataType] = [.int8Array, .textArray, .textArray, .int8Array, .textArray, .boolArray, .int8Array, .textArray,
                                                .textArray, .textArray, .textArray, .int8Array]
    }

    public func outbox(_ filter: OutboxFilter) async throws -> [OutboxRecord] {
        var builder = StatementBuilder()
        var conditions: [String] = []
        if let tenant = filter.tenant { conditions.append("o.tenant = \(builder.bind(tenant))") }
        if let status = filter.status { conditions.append("o.status = \(builder.bind(status.rawValue))") }
        if let destination = filter.destination { conditions.append("o.destination = \(builder.bind(destination))") }
        let whereSQL = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let limit = builder.bind(Int64(max(0, filter.limit)))
        builder.append("SELECT \(Self.outboxColumns) FROM outbox o \(whereSQL) ORDER BY o.id LIMIT \(limit)")
        return try await rows(builder.query).map { try Self.outboxRecord($0) }
    }

    public func retryOutbox(ids: [Int64], now: Int64) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        let rows = try await rows("""
            WITH retried AS (
                UPDATE outbox SET status = 'pending', next_attempt_at = \(now), owner = NULL
                WHERE id = ANY(\(ids)::bigint[]) AND (status = 'dead' OR (status = 'pending' AND last_error IS NOT NULL)) RETURNING id
            )
            SELECT COUNT(*) AS n FROM retried
            """)
        return Int(try rows.first.map { try StoredRow($0, table: "outbox").get("n", Int64.self) } ?? 0)
    }

    public func outboxCounts(tenant: String?) async throws -> [OutboxStatus: Int] {
        let rows = try await rows("SELECT status, COUNT(*) AS n FROM outbox WHERE \(tenant)::text IS NULL OR tenant = \(tenant) GROUP BY status")
        var counts: [OutboxStatus: Int] = [:]
        for postgresRow in rows {
            let row = StoredRow(postgresRow, table: "outbox")
            guard let status = OutboxStatus(rawValue: try row.get("status")) else { continue }
            counts[status] = Int(try row.get("n", Int64.self))
        }
        return counts
    }

    public func outboxBacklog() async throws -> Int {
        let rows = try await rows("SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'")
        return Int(try rows.first.map { try StoredRow($0, table: "outbox").get("n", Int64.self) } ?? 0)
    }

    /// An outbox row, with its effect already decoded when `effect` is given.
    static func outboxRecord(_ postgresRow: PostgresRow, effect known: Effect? = nil) throws -> OutboxRecord {
        let row = StoredRow(postgresRow, table: "outbox")
        let id = try row.get("id", Int64.self), tenant = try row.get("tenant", String.self)
        let key = try row.get("key", String.self), destination = try row.get("destination", String.self)
        let effect = try known ?? StoreJSON.decode(Effect.self, from: try row.get("effect"), table: "outbox", key: "\(id) (\(tenant)/\(destination)/\(key))")
        guard let status = OutboxStatus(rawValue: try row.get("status")) else { throw StoreError(.corrupt, "outbox row \(id): unknown status") }
        let item = OutboxItem(tenant: tenant, key: key, destination: destination, sessionID: try row.get("session_id"), lane: try row.get("lane"),
                              effect: effect, availableAt: try row.get("available_at"))
        return OutboxRecord(id: id, item: item, status: status, attempts: Int(try row.get("attempts", Int32.self)),
                            nextAttemptAt: try row.get("next_attempt_at"), lastError: try row.optional("last_error"),
                            createdAt: try row.get("created_at"), deliveredAt: try row.optional("delivered_at"), remoteID: try row.optional("remote_id"))
    }
}
