public import Logging
import ArriwaCore
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

        /// SQLite's page cache in KiB (default 64 MiB).
        public var cacheKiB: Int

        public init(busyTimeoutMillis: Int = 5_000, synchronous: String = "NORMAL", cacheKiB: Int = 65_536) {
            self.busyTimeoutMillis = busyTimeoutMillis
            self.synchronous = synchronous
            self.cacheKiB = cacheKiB
        }
    }

    public nonisolated var kind: String { "sqlite" }
    public nonisolated let path: String

    let connection: SQLiteConnection
    /// Reads outside transactions run on a second, read-only connection (WAL readers never wait
    /// for the writer nor it for them), in parallel with the writes; nil: they share `connection`.
    let reader: SQLiteConnection?
    let logger: Logger
    /// Checkpoints the WAL on its own connection, off the commit path.
    let checkpointer: WALCheckpointer?
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var readerBusy = false
    private var readerWaiters: [CheckedContinuation<Void, Never>] = []
    /// Set by `read` for its body: `query` then runs on `reader`.
    @TaskLocal static var onReader = false
    private var closed = false
    /// Group commit (see `transaction`): whether a leader is running groups, and who waits.
    private var leadingGroup = false
    private var groupQueue: [(job: GroupedTransaction, waiter: CheckedContinuation<Bool, Never>?)] = []
    /// Transactions one group runs at most.
    static let maxGroup = 64
    /// Inbox appends from concurrent webhooks, one multi-row insert per batch (at most 1,000 rows:
    /// 6 parameters each stays far below SQLite's parameter limit).
    let appends = BatchWriter<EncodedInboxItem, InboxAppendResult>(maxBatch: 1000)
    /// Decoded sessions this store read or wrote (see SessionCache).
    var sessionCache = SessionCache()
    /// Events this store appended and effects it queued, by their stored text (see DocumentMemo).
    var eventMemo = DocumentMemo<EngineEvent>()
    var effectMemo = DocumentMemo<Effect>()
    /// How batched turn commits went (see `commitTurns`).
    public internal(set) var batchStatistics = BatchCommitStatistics()
    /// Outbox completions from concurrent deliveries, one UPDATE per batch.
    let completions = BatchWriter<OutboxCompletion, Void>(maxBatch: 500)
    /// Delivery states from concurrent deliveries and status webhooks, one look-up and one UPDATE
    /// per batch.
    let deliveries = BatchWriter<DeliveryUpdate, Void>(maxBatch: 500)

    private init(path: String, connection: SQLiteConnection, reader: SQLiteConnection?, checkpointer: WALCheckpointer?, logger: Logger) {
        self.path = path
        self.connection = connection
        self.reader = reader
        self.checkpointer = checkpointer
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
            // A page cache that holds the hot indexes of a large database (timers by due time,
            // pending inbox entries, sessions) instead of SQLite's 2 MB default; sorts in memory.
            _ = try await connection.query("PRAGMA cache_size = -\(max(2_048, configuration.cacheKiB))", [])
            _ = try await connection.query("PRAGMA temp_store = MEMORY", [])
        } catch {
            try? await connection.close()
            throw StoreError(.unavailable, "cannot configure the SQLite database \(path) (is it a SQLite file?): \(error)")
        }
        // Checkpoints move to their own connection (see WALCheckpointer); without it SQLite's own
        // checkpoint-on-commit stays.
        var checkpointer: WALCheckpointer?
        do {
            checkpointer = try await WALCheckpointer.start(path: path, busyTimeoutMillis: configuration.busyTimeoutMillis, logger: logger)
            _ = try await connection.query("PRAGMA wal_autocheckpoint = 0", [])
        } catch {
            logger.warning("SQLite: checkpoints stay on the commit path", metadata: ["path": "\(path)", "error": "\(error)"])
        }
        // The reading connection: query_only, so nothing can write through it by mistake.
        var reader: SQLiteConnection?
        do {
            let opened = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
            reader = opened
            _ = try await opened.query("PRAGMA query_only = 1", [])
            _ = try await opened.query("PRAGMA busy_timeout = \(max(0, configuration.busyTimeoutMillis))", [])
            _ = try await opened.query("PRAGMA cache_size = -\(max(2_048, configuration.cacheKiB))", [])
            _ = try await opened.query("PRAGMA temp_store = MEMORY", [])
        } catch {
            if let opened = reader { try? await opened.close() }
            reader = nil
            logger.warning("SQLite: reads share the writing connection", metadata: ["path": "\(path)", "error": "\(error)"])
        }
        return SQLiteStore(path: path, connection: connection, reader: reader, checkpointer: checkpointer, logger: logger)
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

    /// Runs `body` in a write transaction (`BEGIN IMMEDIATE`: the file's write lock is taken up
    /// front, so two processes never deadlock upgrading read locks). Any error rolls back.
    ///
    /// Group commit: transactions that arrive while another group holds the connection wait and
    /// then run together, in arrival order, inside ONE transaction — one `BEGIN`/`COMMIT` and one
    /// WAL commit for the lot instead of one each. If any of them throws, the group is rolled back
    /// and each is run again in a transaction of its own, so a failure never touches the others
    /// and every caller sees exactly its own result, as if it had run alone.
    func transaction<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await withoutActuallyEscaping(body) { body in
            var outcome: Result<T, any Error>?
            let job = GroupedTransaction(
                run: {
                    do {
                        outcome = .success(try await body())
                        return true
                    } catch {
                        outcome = .failure(error)
                        return false
                    }
                },
                fail: { error in outcome = .failure(error) })
            // Not leading: wait until a leader ran us, or hands us the lead.
            if leadingGroup {
                let lead = await withCheckedContinuation { continuation in
                    groupQueue.append((job, continuation))
                }
                if lead { await leadGroups() }
            } else {
                leadingGroup = true
                groupQueue.insert((job, nil), at: 0)
                await leadGroups()
            }
            guard let outcome else { throw StoreError(.unavailable, "SQLite \(path): a grouped transaction did not run") }
            return try outcome.get()
        }
    }

    /// Runs the queued transactions as one group, then hands the lead to the next waiter (so a
    /// leader never works for others indefinitely under sustained load).
    private func leadGroups() async {
        let batch = groupQueue.prefix(Self.maxGroup)
        groupQueue.removeFirst(batch.count)
        do {
            try await exclusive { try await runGroup(batch.map(\.job)) }
        } catch {
            for entry in batch { entry.job.fail(error) }
        }
        for entry in batch { entry.waiter?.resume(returning: false) }
        if groupQueue.isEmpty {
            leadingGroup = false
        } else if let next = groupQueue.first?.waiter {
            groupQueue[0].waiter = nil
            next.resume(returning: true)
        } else {
            await leadGroups()
        }
    }

    private func runGroup(_ jobs: [GroupedTransaction]) async throws {
        if jobs.count > 1 {
            try await execute("BEGIN IMMEDIATE")
            var succeeded = true
            for job in jobs where succeeded {
                succeeded = await job.run()
            }
            if succeeded {
                do {
                    try await execute("COMMIT")
                    return
                } catch {
                    try? await execute("ROLLBACK")
                }
            } else {
                try? await execute("ROLLBACK")
            }
        }
        // Alone: one transaction each (the group failed, or there was one).
        for job in jobs {
            do {
                try await execute("BEGIN IMMEDIATE")
            } catch {
                job.fail(error)
                continue
            }
            if await job.run() {
                do {
                    try await execute("COMMIT")
                } catch {
                    try? await execute("ROLLBACK")
                    job.fail(error)
                }
            } else {
                try? await execute("ROLLBACK")
            }
        }
    }

    /// A read outside a transaction: on the reading connection (serialised with the other reads,
    /// in parallel with the writes), else serialised with the writes. Each of its statements sees
    /// every transaction committed before it started (WAL snapshot per statement).
    func read<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        guard reader != nil else { return try await exclusive(body) }
        if closed { throw StoreError(.unavailable, "the SQLite store \(path) is shut down") }
        if readerBusy {
            await withCheckedContinuation { readerWaiters.append($0) }
        } else {
            readerBusy = true
        }
        defer {
            if readerWaiters.isEmpty { readerBusy = false } else { readerWaiters.removeFirst().resume() }
        }
        if closed { throw StoreError(.unavailable, "the SQLite store \(path) is shut down") }
        return try await Self.$onReader.withValue(true) { try await body() }
    }

    // MARK: Statements

    @discardableResult
    func query(_ sql: String, _ binds: [SQLiteData] = []) async throws -> [SQLiteRow] {
        do {
            if Self.onReader, let reader { return try await reader.query(sql, binds) }
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
        await checkpointer?.stop()
        try await exclusive {
            closed = true
            try await connection.close()
        }
        if let reader {
            // Waits for the read in flight, if any (new ones are refused: `closed`).
            if readerBusy { await withCheckedContinuation { readerWaiters.append($0) } }
            readerBusy = false
            for waiter in readerWaiters { waiter.resume() }
            readerWaiters = []
            try await reader.close()
        }
    }
}

/// A transaction body queued for a group (see `SQLiteStore.transaction`): `run` executes it and
/// keeps its result for the caller, answering whether it succeeded; `fail` records an error that
/// kept it from running.
struct GroupedTransaction {
    let run: () async -> Bool
    let fail: (any Error) -> Void
}
