public import Logging
import Foundation
import SQLiteNIO

/// The embedded store: one SQLite file, WAL mode, one connection. SQLite allows one writer at a
/// time anyway, so every operation runs through one serialising gate (FIFO), transactions never
/// interleave, and a lane's lease is as good as on PostgreSQL within one process. Several
/// processes on one file also work: writes take the file lock (`BEGIN IMMEDIATE`) and wait up to
/// `busyTimeout` for each other.
public actor SQLiteStore: Store {
    public struct Configuration: Sendable {
        /// How long a statement waits for another process's write lock before failing.
        public var busyTimeoutMillis: Int
        /// `NORMAL` (default): in WAL mode a commit is durable against a process crash, and against
        /// power loss up to the last checkpointed commits; `FULL` also syncs the WAL on every commit.
        public var synchronous: String

        public init(busyTimeoutMillis: Int = 5_000, synchronous: String = "NORMAL") {
            self.busyTimeoutMillis = busyTimeoutMillis
            self.synchronous = synchronous
        }
    }

    public nonisolated var kind: String { "sqlite" }
    public nonisolated let path: String

    let connection: SQLiteConnection
    let logger: Logger
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var closed = false

    private init(path: String, connection: SQLiteConnection, logger: Logger) {
        self.path = path
        self.connection = connection
        self.logger = logger
    }

    /// Opens (creating the file and its directory if missing) and configures the database. Call
    /// `migrate()` before use.
    public static func open(path: String, configuration: Configuration = Configuration(), logger: Logger) async throws -> SQLiteStore {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw StoreError(.unavailable, "cannot create the directory of the SQLite database \(path): \(error.localizedDescription)")
        }
        let connection: SQLiteConnection
        do {
            connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        } catch {
            throw StoreError(.unavailable, "cannot open the SQLite database \(path): \(error)")
        }
        let synchronous = ["OFF", "NORMAL", "FULL", "EXTRA"].contains(configuration.synchronous.uppercased())
            ? configuration.synchronous.uppercased() : "NORMAL"
        do {
            _ = try await connection.query("PRAGMA journal_mode = WAL", [])
            _ = try await connection.query("PRAGMA synchronous = \(synchronous)", [])
            _ = try await connection.query("PRAGMA busy_timeout = \(max(0, configuration.busyTimeoutMillis))", [])
            _ = try await connection.query("PRAGMA foreign_keys = OFF", [])
        } catch {
            try? await connection.close()
            throw StoreError(.unavailable, "cannot configure the SQLite database \(path) (is it a SQLite file?): \(error)")
        }
        return SQLiteStore(path: path, connection: connection, logger: logger)
    }

    // MARK: Serialisation

    /// Runs `body` alone: the gate is FIFO, so operations run in the order they arrived and an
    /// `await` inside one never lets another in.
    func exclusive<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        if closed { throw StoreError(.unavailable, "the SQLite store \(path) is shut down") }
        if busy {
            await withCheckedContinuation { waiters.append($0) }
        } else {
            busy = true
        }
        defer {
            if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
        }
        return try await body()
    }

    /// Runs `body` in one write transaction (`BEGIN IMMEDIATE`: the file's write lock is taken up
    /// front, so two processes never deadlock upgrading read locks). Any error rolls back.
    func transaction<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await exclusive {
            try await execute("BEGIN IMMEDIATE")
            do {
                let result = try await body()
                try await execute("COMMIT")
                return result
            } catch {
                try? await execute("ROLLBACK")
                throw error
            }
        }
    }

    /// A read outside a transaction (still serialised with the writes).
    func read<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await exclusive(body)
    }

    // MARK: Statements

    @discardableResult
    func query(_ sql: String, _ binds: [SQLiteData] = []) async throws -> [SQLiteRow] {
        do {
            return try await connection.query(sql, binds)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.unavailable, "SQLite \(path): \(error)")
        }
    }

    func execute(_ sql: String, _ binds: [SQLiteData] = []) async throws {
        try await query(sql, binds)
    }

    // MARK: Lifecycle

    public func migrate() async throws -> [Int] {
        try await transaction {
            try await execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)")
            let applied = Set(try await query("SELECT version FROM schema_migrations").map { Int(try $0.int("version")) })
            let pending = try MigrationPlan.pending(applied: applied, available: SQLiteSchema.migrations, database: "SQLite database \(path)")
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            for migration in pending {
                for statement in migration.statements {
                    do {
                        try await execute(statement)
                    } catch {
                        throw StoreError(.migration, "SQLite migration \(migration.version) (\(migration.name)) failed: \(error)")
                    }
                }
                try await execute("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", [.integer(migration.version), .int64(now)])
            }
            return pending.map(\.version)
        }
    }

    public func schemaVersion() async throws -> Int {
        try await read {
            let exists = try await query("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
            guard !exists.isEmpty else { return 0 }
            let rows = try await query("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations")
            return Int(try rows.first?.int("v") ?? 0)
        }
    }

    public func ping() async throws {
        try await read { try await execute("SELECT 1") }
    }

    public func shutdown() async throws {
        guard !closed else { return }
        try await exclusive {
            closed = true
            try await connection.close()
        }
    }
}
