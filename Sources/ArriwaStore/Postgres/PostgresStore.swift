public import Logging
import Foundation
import PostgresNIO
import Synchronization

/// The production store: PostgreSQL through PostgresNIO's connection pool, any number of
/// replicas on one database. Lane leases are rows (`lanes`), so a lane is worked on by one
/// replica at a time; each turn is one statement (see PostgresStore+Turns). Every query is
/// parameterised.
public final class PostgresStore: Store {
    public struct Configuration: Sendable {
        /// How long opening a connection may take; an unreachable database fails this fast.
        public var connectTimeout: Duration
        /// Pool size per process. Keep replicas × this under the server's `max_connections`
        /// (or the pooler's pool size).
        public var maximumConnections: Int
        public var minimumConnections: Int
        /// Runs once after `shutdown()` closed the pool (tests drop their throwaway database here).
        public var afterShutdown: (@Sendable () async -> Void)?

        public init(connectTimeout: Duration = .seconds(5), maximumConnections: Int = 20, minimumConnections: Int = 0,
                    afterShutdown: (@Sendable () async -> Void)? = nil) {
            self.connectTimeout = connectTimeout
            self.maximumConnections = maximumConnections
            self.minimumConnections = minimumConnections
            self.afterShutdown = afterShutdown
        }
    }

    public var kind: String { "postgres" }
    /// `host:port/database`, never the password.
    public let endpoint: String

    let client: PostgresClient
    let logger: Logger
    private let runTask: Task<Void, Never>
    private let lifecycle = Lifecycle()
    private let configuration: Configuration
    /// Outbox completions from concurrent deliveries, written in one statement per batch.
    let completions = BatchWriter<OutboxCompletion, Void>()
    /// Inbox appends from concurrent webhooks, written in one statement per batch.
    /// Up to 4 batches in flight: the next goes out while one waits for its WAL flush.
    let appends = BatchWriter<EncodedInboxItem, InboxAppendResult>(maxInFlight: 4)
    /// Delivery records from concurrent deliveries and status webhooks: one transaction per batch,
    /// one batch at a time.
    let deliveries = BatchWriter<DeliveryUpdate, Void>(maxBatch: 128)
    /// Delivery records written again one by one after their batch failed (see `recordDelivery`).
    let deliveriesAlone = Atomic<Int>(0)
    /// Decoded sessions this store read or wrote (see SessionCache).
    let sessionCache = SharedSessionCache()
    /// Events this process appended and effects it queued, by their stored text (`DocumentMemo`).
    let documents = SharedDocumentMemos()
    /// Turns `commitTurns` committed in shared statements / alone (see `batchStatistics`).
    let sharedTurns = Atomic<Int>(0)
    let aloneTurns = Atomic<Int>(0)

    private init(endpoint: String, client: PostgresClient, logger: Logger, configuration: Configuration) {
        self.endpoint = endpoint
        self.client = client
        self.logger = logger
        self.configuration = configuration
        runTask = Task { await client.run() }
    }

    /// Connects (checking the database answers within `connectTimeout`, so a wrong URL fails
    /// here with a clear error) and starts the pool. Call `migrate()` before use.
    public static func open(url: String, configuration: Configuration = Configuration(), logger: Logger) async throws -> PostgresStore {
        let parsed = try PostgresURL(url)
        var clientConfiguration: PostgresClient.Configuration
        if let socket = parsed.socketPath {
            clientConfiguration = PostgresClient.Configuration(unixSocketPath: socket, username: parsed.user, password: parsed.password,
                                                               database: parsed.database)
        } else {
            let tls: PostgresClient.Configuration.TLS
            switch parsed.tls {
            case .disable: tls = .disable
            case .prefer: tls = .prefer(.makeClientConfiguration())
            case .require: tls = .require(.makeClientConfiguration())
            }
            clientConfiguration = PostgresClient.Configuration(host: parsed.host, port: parsed.port, username: parsed.user,
                                                               password: parsed.password, database: parsed.database, tls: tls)
        }
        // The hot statements are prepared once per connection (parsed and analysed once) and
        // planned at every execution with its parameters and the tables' current sizes: a generic
        // plan cached while the tables were small (a new deployment) keeps scanning them as they grow.
        //
        // Bitmap scans are off: the queue tables' partial indexes (inbox, outbox) keep an entry for
        // every row consumed since the last vacuum, and only a plain index scan marks an entry it
        // found dead so that later scans skip it; a bitmap scan visits every one of them, every
        // time, on the heap. Between two autovacuum visits (a minute apart at best) a busy inbox
        // gathers tens of thousands: with bitmap scans a lane claim went from 0.1 ms to 5–7 ms.
        // Every hot statement is a keyed lookup or an ordered range that plain index scans serve.
        clientConfiguration.options.additionalStartupParameters = [("plan_cache_mode", "force_custom_plan"), ("enable_bitmapscan", "off")]
        clientConfiguration.options.connectTimeout = configuration.connectTimeout
        clientConfiguration.options.maximumConnections = max(1, configuration.maximumConnections)
        clientConfiguration.options.minimumConnections = max(0, min(configuration.minimumConnections, configuration.maximumConnections - 1))
        let client = PostgresClient(configuration: clientConfiguration, backgroundLogger: logger)
        let store = PostgresStore(endpoint: parsed.endpoint, client: client, logger: logger, configuration: configuration)
        do {
            try await store.withDeadline(configuration.connectTimeout + .seconds(1)) { try await store.ping() }
        } catch {
            // Stop the pool without waiting for its connection attempts to wind down: the caller
            // gets the error now.
            store.runTask.cancel()
            throw error
        }
        return store
    }

    // MARK: Connections and errors

    func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withConnection { connection in try await body(connection) }
        } catch {
            throw storeError(error)
        }
    }

    /// Runs `body` in one transaction on one pooled connection; any error rolls back.
    func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await withConnection { connection in
            try await connection.query("BEGIN", logger: logger)
            do {
                let result = try await body(connection)
                try await connection.query("COMMIT", logger: logger)
                return result
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    /// Runs one statement and collects its rows.
    @discardableResult
    ///
    /// Without `connection`, a pooled connection is leased for exactly as long as the statement
    /// runs (`withConnection`). Not `PostgresClient.query`/`execute`: PostgresNIO 1.33 releases
    /// their connection when the row stream finishes, and a stream whose error (an aborted turn
    /// commit, a constraint) arrives before the caller starts reading it never finishes — the
    /// connection stays leased for good, and once the pool's connections are gone every statement
    /// waits forever. It happens when the calling task is slow to resume (a loaded machine): the
    /// test suite hung on it, intermittently (see "statements that fail after their row
    /// description give their connection back").
    func rows(_ query: PostgresQuery, on connection: PostgresConnection? = nil) async throws -> [PostgresRow] {
        if let connection {
            do {
                return try await connection.query(query, logger: logger).collect()
            } catch {
                throw storeError(error)
            }
        }
        return try await withConnection { connection in try await connection.query(query, logger: self.logger).collect() }
    }

    /// Runs a prepared statement (prepared on a connection the first time it runs there) and
    /// collects its rows, on a connection leased for as long as it runs (see `rows`).
    func prepared<Statement: PostgresPreparedStatement>(_ statement: Statement) async throws -> [Statement.Row] where Statement.Row: Sendable {
        try await withConnection { connection in
            var rows: [Statement.Row] = []
            for try await row in try await connection.execute(statement, logger: self.logger) { rows.append(row) }
            return rows
        }
    }

    /// A `StoreError` for anything the driver throws: `arriwa:{code}` raised by `arriwa_abort`
    /// becomes that code; everything else is `.unavailable` with the server's message (never the
    /// password, which no PostgresNIO error carries).
    func storeError(_ error: any Error) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? PSQLError {
            let message = error.serverInfo?[.message] ?? ""
            if message.hasPrefix("arriwa:") {
                let code = StoreError.Code(rawValue: String(message.dropFirst("arriwa:".count))) ?? .unavailable
                return StoreError(code, Self.abortMessages[code] ?? message)
            }
            var text = "PostgreSQL \(endpoint): \(error.code)"
            if let state = error.serverInfo?[.sqlState] { text += " [\(state)]" }
            if !message.isEmpty { text += ": \(message)" }
            if let detail = error.serverInfo?[.detail] { text += " (\(detail))" }
            if let underlying = error.underlying { text += ": \(underlying)" }
            return StoreError(.unavailable, text)
        }
        return StoreError(.unavailable, "PostgreSQL \(endpoint): \(error)")
    }

    static let abortMessages: [StoreError.Code: String] = [
        .leaseLost: "the lane is not leased to this worker (expired or taken over); nothing applied",
        .alreadyApplied: "an inbox entry of the commit is not pending any more; nothing applied",
        .turnConflict: "the session's stored turn is not the one the commit expected; nothing applied",
    ]

    /// Fails with `.unavailable` if `body` takes longer than `limit`.
    func withDeadline<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let endpoint = self.endpoint
        return try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                throw StoreError(.unavailable, "PostgreSQL \(endpoint) did not answer within \(limit)")
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { throw StoreError(.unavailable, "PostgreSQL \(endpoint): no answer") }
            return first
        }
    }

    // MARK: Lifecycle

    public func migrate() async throws -> [Int] {
        try await transaction { connection in
            try await rows("SELECT pg_advisory_xact_lock(\(PostgresSchema.migrationLock))", on: connection)
            try await rows("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)", on: connection)
            var applied: Set<Int> = []
            for row in try await rows("SELECT version FROM schema_migrations", on: connection) {
                applied.insert(Int(try row.decode(Int32.self)))
            }
            let pending = try MigrationPlan.pending(applied: applied, available: PostgresSchema.migrations, database: "PostgreSQL \(endpoint)")
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            for migration in pending {
                for statement in migration.statements {
                    do {
                        try await rows(PostgresQuery(unsafeSQL: statement), on: connection)
                    } catch let error as StoreError {
                        throw StoreError(.migration, "PostgreSQL migration \(migration.version) (\(migration.name)) failed: \(error.message)")
                    }
                }
                let version = Int32(migration.version)
                try await rows("INSERT INTO schema_migrations (version, applied_at) VALUES (\(version), \(now))", on: connection)
            }
            // The hot path's functions (each named by its definition's hash; see ServerFunction).
            for function in Self.serverFunctions {
                if try await rows("SELECT 1 FROM pg_proc WHERE proname = \(function.name)", on: connection).isEmpty {
                    do {
                        try await rows(PostgresQuery(unsafeSQL: function.definition), on: connection)
                    } catch let error as StoreError {
                        throw StoreError(.migration, "PostgreSQL: creating the function \(function.name) failed: \(error.message)")
                    }
                }
            }
            return pending.map(\.version)
        }
    }

    public func schemaVersion() async throws -> Int {
        let rows = try await rows("""
            SELECT CASE WHEN to_regclass('schema_migrations') IS NULL THEN 0
                        ELSE (SELECT COALESCE(MAX(version), 0) FROM schema_migrations) END AS v
            """)
        return Int(try rows.first?.decode(Int32.self) ?? 0)
    }

    public func ping() async throws {
        try await rows("SELECT 1")
    }

    public func shutdown() async throws {
        guard await lifecycle.beginShutdown() else { return }
        runTask.cancel()
        await runTask.value
        await configuration.afterShutdown?()
    }

    /// Makes `shutdown()` idempotent.
    private actor Lifecycle {
        private var shutDown = false

        func beginShutdown() -> Bool {
            defer { shutDown = true }
            return !shutDown
        }
    }
}
