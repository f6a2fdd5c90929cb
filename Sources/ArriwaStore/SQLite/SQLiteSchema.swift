/// The SQLite schema, as migrations. Timestamps are INTEGER unix milliseconds; documents are JSON
/// TEXT (see StoreJSON). See docs/storage.md for what each table and index is for.
enum SQLiteSchema {
    static let migrations: [SchemaMigration] = [
        SchemaMigration(version: 1, name: "initial schema", statements: [
            """
            CREATE TABLE flow_versions (
                tenant TEXT NOT NULL, version TEXT NOT NULL, files TEXT NOT NULL, created_at INTEGER NOT NULL,
                PRIMARY KEY (tenant, version))
            """,
            "CREATE TABLE tenants (tenant TEXT PRIMARY KEY, active_version TEXT NOT NULL, updated_at INTEGER NOT NULL)",
            """
            CREATE TABLE subscribers (
                tenant TEXT NOT NULL, lane TEXT NOT NULL, subscriber_id TEXT NOT NULL, phone_hash TEXT, bsuid TEXT,
                phone_encrypted BLOB, created_at INTEGER NOT NULL,
                PRIMARY KEY (tenant, lane))
            """,
            """
            CREATE TABLE sessions (
                tenant TEXT NOT NULL, id TEXT NOT NULL, lane TEXT NOT NULL, subscriber_id TEXT NOT NULL,
                flow_version TEXT NOT NULL, status TEXT NOT NULL, turn INTEGER NOT NULL, wait_token INTEGER NOT NULL,
                last_inbound_at INTEGER, opted_out INTEGER NOT NULL, snoozed_until INTEGER, human_active INTEGER NOT NULL,
                attribution TEXT NOT NULL, referral_raw TEXT, state TEXT NOT NULL,
                created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
                PRIMARY KEY (tenant, id))
            """,
            "CREATE INDEX sessions_latest ON sessions (tenant, subscriber_id, created_at)",
            """
            CREATE TABLE inbox (
                seq INTEGER PRIMARY KEY AUTOINCREMENT, tenant TEXT NOT NULL, lane TEXT NOT NULL, dedupe_key TEXT NOT NULL,
                kind TEXT NOT NULL, event TEXT NOT NULL, received_at INTEGER NOT NULL,
                status TEXT NOT NULL DEFAULT 'pending', error TEXT,
                UNIQUE (tenant, dedupe_key))
            """,
            "CREATE INDEX inbox_pending ON inbox (seq) WHERE status = 'pending'",
            "CREATE INDEX inbox_lane_pending ON inbox (tenant, lane, seq) WHERE status = 'pending'",
            """
            CREATE TABLE lanes (
                tenant TEXT NOT NULL, lane TEXT NOT NULL, owner TEXT NOT NULL, lease_until INTEGER NOT NULL,
                PRIMARY KEY (tenant, lane))
            """,
            """
            CREATE TABLE timers (
                tenant TEXT NOT NULL, id TEXT NOT NULL, lane TEXT NOT NULL, session_id TEXT NOT NULL, due_at INTEGER NOT NULL,
                spec TEXT NOT NULL, dedupe_key TEXT NOT NULL, event TEXT NOT NULL,
                PRIMARY KEY (tenant, id))
            """,
            "CREATE INDEX timers_due ON timers (due_at, id)",
            "CREATE INDEX timers_session ON timers (tenant, session_id)",
            """
            CREATE TABLE outbox (
                id INTEGER PRIMARY KEY AUTOINCREMENT, tenant TEXT NOT NULL, key TEXT NOT NULL, destination TEXT NOT NULL,
                session_id TEXT NOT NULL, lane TEXT NOT NULL, effect TEXT NOT NULL, status TEXT NOT NULL,
                available_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL, owner TEXT, last_error TEXT,
                created_at INTEGER NOT NULL, delivered_at INTEGER, remote_id TEXT,
                UNIQUE (tenant, destination, key))
            """,
            "CREATE INDEX outbox_due ON outbox (status, next_attempt_at, id)",
            """
            CREATE TABLE message_log (
                tenant TEXT NOT NULL, message_id TEXT NOT NULL, provider_message_id TEXT, session_id TEXT NOT NULL,
                lane TEXT NOT NULL, node TEXT, state TEXT NOT NULL, updated_at INTEGER NOT NULL,
                PRIMARY KEY (tenant, message_id))
            """,
            "CREATE INDEX message_log_provider ON message_log (tenant, provider_message_id) WHERE provider_message_id IS NOT NULL",
            """
            CREATE TABLE audit_log (
                id INTEGER PRIMARY KEY AUTOINCREMENT, tenant TEXT NOT NULL, session_id TEXT NOT NULL, type TEXT NOT NULL,
                detail TEXT NOT NULL, at INTEGER NOT NULL)
            """,
            "CREATE INDEX audit_log_session ON audit_log (tenant, session_id, id)",
            """
            CREATE TABLE event_log (
                id INTEGER PRIMARY KEY AUTOINCREMENT, tenant TEXT NOT NULL, key TEXT NOT NULL, session_id TEXT NOT NULL,
                event TEXT NOT NULL, stream TEXT NOT NULL, at INTEGER NOT NULL,
                UNIQUE (tenant, key))
            """,
            "CREATE INDEX event_log_session ON event_log (tenant, session_id, id)",
        ]),
        SchemaMigration(version: 2, name: "contact addresses", statements: [
            """
            CREATE TABLE contact_addresses (
                tenant TEXT NOT NULL, lane TEXT NOT NULL, kind TEXT NOT NULL, sealed BLOB NOT NULL, updated_at INTEGER NOT NULL,
                PRIMARY KEY (tenant, lane))
            """,
        ]),
    ]
}
