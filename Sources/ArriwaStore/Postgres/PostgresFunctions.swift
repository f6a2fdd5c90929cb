import Crypto
import Foundation
import PostgresNIO

/// A PL/pgSQL function the hot path calls: `PostgresStore.migrate` creates each one that does not
/// exist yet. Named by a hash of its definition, so a binary with other SQL creates and calls its
/// own: replicas of two versions can share a database during a rolling deploy, and an older
/// binary's functions are left in place for it (they hold no data).
struct ServerFunction: Sendable {
    let name: String
    let definition: String

    /// `make(name)` returns the `CREATE FUNCTION` statement of the function called `name`.
    init(prefix: String, _ make: (String) -> String) {
        let digest = SHA256.hash(data: Data(make(prefix).utf8))
        name = prefix + "_" + digest.prefix(8).map { String(format: "%02x", $0) }.joined()
        definition = make(name)
    }
}

extension PostgresStore {
    /// Every function the store calls, created by `migrate`.
    static let serverFunctions: [ServerFunction] = [BatchTurnStatement.serverFunction, ClaimFunction.serverFunction,
                                                    CompletionFunction.serverFunction]
}

/// The lane claim as one call (one round trip where it took two): the lease, then — as a
/// statement of its own, so in a fresh snapshot taken after the lease is held — the claimed lanes'
/// entries with each lane's subscriber and latest session where the lane's first entry is an
/// inbound message (a timer's or a status's turn starts from a session it names). Both
/// statements are planned once per connection, with the turn commit's settings
/// (`BatchTurnStatement.planSettings`): planned at every call with the actual values (the
/// connections' `force_custom_plan`) they took 3.8 ms of server time per claim of ~30 lanes, a
/// fifth of it planning; with cached plans 1.7 ms. The generic plans probe each table by an index
/// led by the columns the statement knows (`inbox_pending`, `lanes_pkey`, `inbox_lane_pending`,
/// `subscribers_pkey`, `sessions_latest`), also when made over a new database's empty tables (a
/// test checks them); the partial inbox indexes match because the statements compare `status`
/// with a literal.
///
/// Parameters: $1 window (how many of the oldest pending entries the first attempt looks at),
/// $2 now, $3 limit (lanes), $4 owner, $5 lease end, $6 entries per lane. The lease's commit is
/// asynchronous (`synchronous_commit` off for its transaction only): a lease lost in a database
/// crash is harmless — every turn commit re-checks its lease and the lanes are simply claimed
/// again — so a claim need not wait for its WAL flush.
enum ClaimFunction {
    static let serverFunction = ServerFunction(prefix: "arriwa_claim_lanes") { name in
        let settings = BatchTurnStatement.planSettings.map { "SET \($0.key) = \($0.value)" }.joined(separator: " ")
        return """
        CREATE FUNCTION \(name)(bigint, bigint, bigint, text, bigint, bigint)
        RETURNS TABLE (seq bigint, tenant text, lane text, dedupe_key text, kind text, event text, received_at bigint,
                       subscriber_id text, phone_hash text, bsuid text, phone_encrypted bytea, created_at bigint,
                       id text, turn bigint, attribution text, referral_raw text, state text)
        LANGUAGE plpgsql VOLATILE \(settings)
        AS $arriwa_body$
        #variable_conflict use_column
        DECLARE claimed_tenants text[]; claimed_lanes text[];
        BEGIN
            PERFORM set_config('synchronous_commit', 'off', true);
            -- First among the oldest pending entries only (an index range, however long the inbox);
            -- if none of those lanes is free, over every pending entry.
            \(lease(window: "ORDER BY i.seq LIMIT $1")) INTO claimed_tenants, claimed_lanes;
            IF claimed_tenants IS NULL THEN
                \(lease(window: "")) INTO claimed_tenants, claimed_lanes;
            END IF;
            IF claimed_tenants IS NULL THEN
                RETURN;
            END IF;
            RETURN QUERY
            \(entries(of: "claimed_tenants, claimed_lanes"));
        END
        $arriwa_body$
        """
    }

    /// The claimed lanes' entries (at most `$6` each, in arrival order) with each lane's subscriber
    /// and latest session where the lane's first entry is an inbound message; `lanes` are the
    /// claimed lanes' tenants and lanes (two text arrays).
    static func entries(of lanes: String) -> String {
        """
        SELECT e.seq, c.tenant, c.lane, e.dedupe_key, e.kind, e.event, e.received_at,
               s.subscriber_id, s.phone_hash, s.bsuid, s.phone_encrypted, s.created_at,
               x.id, x.turn, x.attribution::text, x.referral_raw, x.state
        FROM unnest(\(lanes)) AS c(tenant, lane)
        LEFT JOIN LATERAL (
            SELECT i.seq, i.dedupe_key, i.kind, i.event, i.received_at, i.seq = MIN(i.seq) OVER () AS first
            FROM inbox i WHERE i.tenant = c.tenant AND i.lane = c.lane AND i.status = 'pending' ORDER BY i.seq LIMIT $6
        ) e ON true
        LEFT JOIN subscribers s ON e.first AND e.kind = 'message' AND s.tenant = c.tenant AND s.lane = c.lane
        LEFT JOIN LATERAL (
            SELECT z.id, z.turn, z.attribution, z.referral_raw, z.state FROM sessions z
            WHERE z.tenant = s.tenant AND z.subscriber_id = s.subscriber_id ORDER BY z.created_at DESC, z.id DESC LIMIT 1
        ) x ON true
        ORDER BY e.seq NULLS FIRST
        """
    }

    /// Leases the free lanes with the oldest pending entries (among the first `window` of them, or
    /// all), and returns their tenants and lanes as two arrays (NULL when none). It never waits on
    /// a lane row another transaction holds and locks nothing it does not take, so the window's attempt
    /// leaves no lock behind when it takes nothing, and a claim cannot deadlock with another claim
    /// or a turn commit:
    /// - a lane with no row is inserted (`ON CONFLICT DO NOTHING`: a concurrent claimer that
    ///   inserted it first wins; rows go in in key order);
    /// - a lane whose lease ended is taken over (`FOR UPDATE SKIP LOCKED`: a row someone holds —
    ///   another claimer, or its owner committing — is skipped).
    static func lease(window: String) -> String {
        """
        WITH pending AS (
                SELECT i.tenant, i.lane, i.seq FROM inbox i WHERE i.status = 'pending' \(window)
            ), candidates AS (
                SELECT p.tenant, p.lane, MIN(p.seq) AS first FROM pending p
                WHERE NOT EXISTS (SELECT 1 FROM lanes l WHERE l.tenant = p.tenant AND l.lane = p.lane AND l.lease_until > $2)
                GROUP BY p.tenant, p.lane ORDER BY first LIMIT $3
            ), expired AS (
                SELECT l.tenant, l.lane FROM lanes l JOIN candidates c ON l.tenant = c.tenant AND l.lane = c.lane
                WHERE l.lease_until <= $2 ORDER BY l.tenant, l.lane FOR UPDATE OF l SKIP LOCKED
            ), taken AS (
                UPDATE lanes l SET owner = $4, lease_until = $5 FROM expired e
                WHERE l.tenant = e.tenant AND l.lane = e.lane RETURNING l.tenant, l.lane
            ), inserted AS (
                INSERT INTO lanes AS l (tenant, lane, owner, lease_until)
                SELECT c.tenant, c.lane, $4, $5 FROM candidates c
                WHERE NOT EXISTS (SELECT 1 FROM lanes x WHERE x.tenant = c.tenant AND x.lane = c.lane)
                ORDER BY c.tenant, c.lane
                ON CONFLICT (tenant, lane) DO NOTHING
                RETURNING l.tenant, l.lane
            ), claimed AS (
                SELECT t.tenant, t.lane FROM taken t UNION ALL SELECT n.tenant, n.lane FROM inserted n
            )
            SELECT array_agg(claimed.tenant), array_agg(claimed.lane) FROM claimed
        """
    }

    /// The prepared call.
    static func call(window: Int64, now: Int64, limit: Int64, owner: String, until: Int64, perLane: Int64) -> PostgresQuery {
        "SELECT * FROM \(unescaped: serverFunction.name)(\(window), \(now), \(limit), \(owner), \(until), \(perLane))"
    }
}

/// The outbox completions of a batch (`PostgresStore.completeOutbox`) as one call of a function
/// whose statement is planned once per connection, as the turn commit's is (`BatchTurnStatement`):
/// with the dispatcher handed its rows in memory, completions come in smaller batches, and
/// planning the statement at every call (the connections' `force_custom_plan`) had become a fifth
/// of its server time. The same settings leave one plan — primary-key probes of `outbox` and
/// `message_log` — and the statement matches no partial index of the outbox (`status NOT IN`
/// rather than `= 'pending'`, the same rows by the table's check constraint), which a generic plan
/// made over a new database's empty tables would otherwise scan whole for each row.
///
/// Parameters: the rows' ids, lease owners, outcomes (`delivered`, `retry`, `dead`), times, remote
/// ids (with whether each is set), retry times and errors; then the sent messages' tenants, ids,
/// provider ids and times. Returns how many rows and messages it updated.
enum CompletionFunction {
    static let types = ["bigint[]", "text[]", "text[]", "bigint[]", "text[]", "boolean[]", "bigint[]", "text[]",
                        "text[]", "text[]", "text[]", "bigint[]"]

    /// The statement, `$n` being the function's arguments.
    static let body = """
        WITH done AS (UPDATE outbox o SET
                status = CASE u.kind WHEN 'delivered' THEN 'delivered' WHEN 'dead' THEN 'dead' ELSE o.status END,
                delivered_at = CASE WHEN u.kind = 'delivered' THEN u.now ELSE o.delivered_at END,
                remote_id = CASE WHEN u.kind = 'delivered' THEN (CASE WHEN u.has_remote THEN u.remote END) ELSE o.remote_id END,
                next_attempt_at = CASE WHEN u.kind = 'retry' THEN u.at ELSE o.next_attempt_at END,
                last_error = CASE WHEN u.kind = 'delivered' THEN o.last_error ELSE u.error END,
                owner = NULL
            FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::boolean[], $7::bigint[], $8::text[])
                AS u(id, owner, kind, now, remote, has_remote, at, error)
            WHERE o.id = u.id AND o.owner = u.owner AND o.status NOT IN ('delivered', 'dead') RETURNING 1),
        sending AS (SELECT m.tenant, m.message_id, s.provider_message_id, s.at FROM message_log m
            JOIN unnest($9::text[], $10::text[], $11::text[], $12::bigint[]) AS s(tenant, message_id, provider_message_id, at)
                ON m.tenant = s.tenant AND m.message_id = s.message_id
            ORDER BY m.tenant, m.message_id FOR UPDATE OF m),
        marked AS (UPDATE message_log m SET provider_message_id = COALESCE(x.provider_message_id, m.provider_message_id),
                state = CASE WHEN \(DeliveryState.sql(next: "'sent'", current: "m.state")) THEN 'sent' ELSE m.state END,
                updated_at = CASE WHEN \(DeliveryState.sql(next: "'sent'", current: "m.state")) THEN x.at ELSE m.updated_at END
            FROM sending x WHERE m.tenant = x.tenant AND m.message_id = x.message_id RETURNING 1)
        SELECT (SELECT COUNT(*) FROM done), (SELECT COUNT(*) FROM marked)
        """

    static let serverFunction = ServerFunction(prefix: "arriwa_complete_outbox") { name in
        let settings = BatchTurnStatement.planSettings.map { "SET \($0.key) = \($0.value)" }.joined(separator: " ")
        return """
            CREATE FUNCTION \(name)(\(types.joined(separator: ", ")))
            RETURNS TABLE (rows_completed bigint, messages_marked bigint) LANGUAGE plpgsql VOLATILE \(settings)
            AS $arriwa_body$
            BEGIN
            RETURN QUERY
            \(body);
            END
            $arriwa_body$
            """
    }
}
