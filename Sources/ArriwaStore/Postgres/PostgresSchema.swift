/// The PostgreSQL schema, as migrations. Timestamps are BIGINT unix milliseconds; documents are
/// jsonb. Hot tables get aggressive autovacuum (rows churn every turn) and sessions leave room
/// for HOT updates. See docs/storage.md for what each table and index is for.
enum PostgresSchema {
    /// `pg_advisory_xact_lock` key serialising migrations across processes ("arriwa" in ASCII).
    static let migrationLock: Int64 = 0x6172_7269_7761

    static let migrations: [SchemaMigration] = [
        SchemaMigration(version: 1, name: "initial schema", statements: [
            """
            CREATE TABLE flow_versions (
                tenant TEXT NOT NULL, version TEXT NOT NULL, files JSONB NOT NULL, created_at BIGINT NOT NULL,
                PRIMARY KEY (tenant, version))
            """,
            "CREATE TABLE tenants (tenant TEXT PRIMARY KEY, active_version TEXT NOT NULL, updated_at BIGINT NOT NULL)",
            """
            CREATE TABLE subscribers (
                tenant TEXT NOT NULL, lane TEXT NOT NULL, subscriber_id TEXT NOT NULL, phone_hash TEXT, bsuid TEXT,
                phone_encrypted BYTEA, created_at BIGINT NOT NULL,
                PRIMARY KEY (tenant, lane))
            """,
            """
            CREATE TABLE sessions (
                tenant TEXT NOT NULL, id TEXT NOT NULL, lane TEXT NOT NULL, subscriber_id TEXT NOT NULL,
                flow_version TEXT NOT NULL, status TEXT NOT NULL, turn BIGINT NOT NULL, wait_token BIGINT NOT NULL,
                last_inbound_at BIGINT, opted_out BOOLEAN NOT NULL, snoozed_until BIGINT, human_active BOOLEAN NOT NULL,
                attribution JSONB NOT NULL, referral_raw TEXT, state JSONB NOT NULL,
                created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,
                PRIMARY KEY (tenant, id)) WITH (fillfactor = 80)
            """,
            "CREATE INDEX sessions_latest ON sessions (tenant, subscriber_id, created_at)",
            """
            CREATE TABLE inbox (
                seq BIGSERIAL PRIMARY KEY, tenant TEXT NOT NULL, lane TEXT NOT NULL, dedupe_key TEXT NOT NULL,
                kind TEXT NOT NULL, event JSONB NOT NULL, received_at BIGINT NOT NULL,
                status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')), error TEXT,
                UNIQUE (tenant, dedupe_key))
            """,
            "CREATE INDEX inbox_pending ON inbox (seq) WHERE status = 'pending'",
            "CREATE INDEX inbox_lane_pending ON inbox (tenant, lane, seq) WHERE status = 'pending'",
            """
            CREATE TABLE lanes (
                tenant TEXT NOT NULL, lane TEXT NOT NULL, owner TEXT NOT NULL, lease_until BIGINT NOT NULL,
                PRIMARY KEY (tenant, lane))
            """,
            """
            CREATE TABLE timers (
                tenant TEXT NOT NULL, id TEXT NOT NULL, lane TEXT NOT NULL, session_id TEXT NOT NULL, due_at BIGINT NOT NULL,
                spec JSONB NOT NULL, dedupe_key TEXT NOT NULL, event JSONB NOT NULL,
                PRIMARY KEY (tenant, id))
            """,
            "CREATE INDEX timers_due ON timers (due_at, id)",
            "CREATE INDEX timers_session ON timers (tenant, session_id)",
            """
            CREATE TABLE outbox (
                id BIGSERIAL PRIMARY KEY, tenant TEXT NOT NULL, key TEXT NOT NULL, destination TEXT NOT NULL,
                session_id TEXT NOT NULL, lane TEXT NOT NULL, effect JSONB NOT NULL, available_at BIGINT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
                attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at BIGINT NOT NULL, owner TEXT, last_error TEXT,
                created_at BIGINT NOT NULL, delivered_at BIGINT, remote_id TEXT,
                UNIQUE (tenant, destination, key))
            """,
            "CREATE INDEX outbox_due ON outbox (status, next_attempt_at, id)",
            """
            CREATE TABLE message_log (
                tenant TEXT NOT NULL, message_id TEXT NOT NULL, provider_message_id TEXT, session_id TEXT NOT NULL,
                lane TEXT NOT NULL, node TEXT, state TEXT NOT NULL, updated_at BIGINT NOT NULL,
                PRIMARY KEY (tenant, message_id))
            """,
            "CREATE INDEX message_log_provider ON message_log (tenant, provider_message_id) WHERE provider_message_id IS NOT NULL",
            """
            CREATE TABLE audit_log (
                id BIGSERIAL PRIMARY KEY, tenant TEXT NOT NULL, session_id TEXT NOT NULL, type TEXT NOT NULL,
                detail TEXT NOT NULL, at BIGINT NOT NULL)
            """,
            "CREATE INDEX audit_log_session ON audit_log (tenant, session_id, id)",
            """
            CREATE TABLE event_log (
                id BIGSERIAL PRIMARY KEY, tenant TEXT NOT NULL, key TEXT NOT NULL, session_id TEXT NOT NULL,
                event TEXT NOT NULL, stream TEXT NOT NULL, at BIGINT NOT NULL,
                UNIQUE (tenant, key))
            """,
            "CREATE INDEX event_log_session ON event_log (tenant, session_id, id)",
            // Rows of these tables are updated or deleted on every turn: vacuum them early.
            "ALTER TABLE inbox SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02)",
            "ALTER TABLE lanes SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 1000)",
            "ALTER TABLE timers SET (autovacuum_vacuum_scale_factor = 0.02)",
            "ALTER TABLE outbox SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02)",
            "ALTER TABLE sessions SET (autovacuum_vacuum_scale_factor = 0.05)",
            // Aborts a one-statement commit (see PostgresStore+Turns): the whole statement rolls back
            // and the client maps `arriwa:{code}` to a StoreError.
            """
            CREATE FUNCTION arriwa_abort(code TEXT) RETURNS INTEGER LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'arriwa:%', code;
            END
            $$
            """,
        ]),
        SchemaMigration(version: 2, name: "contact addresses", statements: [
            """
            CREATE TABLE contact_addresses (
                tenant TEXT NOT NULL, lane TEXT NOT NULL, kind TEXT NOT NULL, sealed BYTEA NOT NULL, updated_at BIGINT NOT NULL,
                PRIMARY KEY (tenant, lane))
            """,
        ]),
        // The session document is written on every turn and only ever read whole by the engine:
        // as TEXT the server no longer converts it to jsonb and back (a parse of ~2 KB per turn),
        // and it is compressed with lz4 where the server has it, not pglz (~2 % of a turn's time).
        SchemaMigration(version: 3, name: "session state as text", statements: [
            "ALTER TABLE sessions ALTER COLUMN state TYPE TEXT USING state::text",
            """
            DO $$
            BEGIN
                IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
                    EXECUTE 'ALTER TABLE sessions ALTER COLUMN state SET COMPRESSION lz4';
                END IF;
            END
            $$
            """,
        ]),
        // The queue tables' documents are written once and only ever read whole, by this code
        // (no SQL looks inside them): as TEXT the server no longer parses each one into jsonb on
        // insert and prints it back on every read — an inbound event, 1.8 effects, a timer's spec
        // and event per message. The table rewrite takes an exclusive lock for as long as it
        // copies the rows: migrate a large deployment after pruning (`arriwa prune`), or in a
        // quiet hour. The message log leaves a sixth of each page free, so the state changes that
        // touch no indexed column (replied, delivered, read) are HOT updates on the same page.
        SchemaMigration(version: 4, name: "queue documents as text", statements: [
            "ALTER TABLE inbox ALTER COLUMN event TYPE TEXT USING event::text",
            "ALTER TABLE outbox ALTER COLUMN effect TYPE TEXT USING effect::text",
            "ALTER TABLE timers ALTER COLUMN spec TYPE TEXT USING spec::text, ALTER COLUMN event TYPE TEXT USING event::text",
            "ALTER TABLE message_log SET (fillfactor = 85)",
        ]),
        // Claims and the backlog gauge want pending rows only, in due order; an index of every
        // row by status grew with every delivered row for as long as they are kept (14 days), and
        // each row's completion inserted its new version into it. Partial indexes hold pending
        // rows (for claims) and dead rows (for `arriwa outbox dead`) only: a delivered row's
        // completion touches two indexes, not three. Building them locks the outbox against
        // writes while they are built (seconds per million pending rows: only pending and dead
        // rows are read into them).
        SchemaMigration(version: 5, name: "partial outbox indexes", statements: [
            "DROP INDEX outbox_due",
            "CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE status = 'pending'",
            "CREATE INDEX outbox_dead ON outbox (id) WHERE status = 'dead'",
        ]),
        SchemaMigration(version: 6, name: "secondary indexes led by their own key", statements: [
            "DROP INDEX sessions_latest",
            "CREATE INDEX sessions_latest ON sessions (subscriber_id, tenant, created_at)",
            "DROP INDEX timers_session",
            "CREATE INDEX timers_session ON timers (session_id, tenant)",
            "DROP INDEX message_log_provider",
            "CREATE INDEX message_log_provider ON message_log (provider_message_id, tenant) WHERE provider_message_id IS NOT NULL",
        ]),
    ]
}
