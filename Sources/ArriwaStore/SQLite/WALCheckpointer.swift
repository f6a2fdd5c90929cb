import Logging
import SQLiteNIO

/// Keeps SQLite's WAL checkpoints off the commit path. By default SQLite checkpoints inside the
/// commit that grows the WAL past 1,000 pages: that one commit copies the pages into the database
/// and syncs the file twice while every write behind it waits (the ingest benchmark's p99 was such
/// stalls). Instead the store's connection does not checkpoint (`wal_autocheckpoint = 0`) and this
/// actor runs a PASSIVE checkpoint every `interval` on a connection of its own, on another thread:
/// WAL writers go on meanwhile. Durability is unchanged (commits are in the WAL either way); the
/// WAL is synced at least every `interval`, more often than before under load.
actor WALCheckpointer {
    private let connection: SQLiteConnection
    private let path: String
    private let logger: Logger
    private var loop: Task<Void, Never>?

    private init(connection: SQLiteConnection, path: String, logger: Logger) {
        self.connection = connection
        self.path = path
        self.logger = logger
    }

    /// Opens the checkpointing connection and starts the loop.
    static func start(path: String, busyTimeoutMillis: Int, interval: Duration = .milliseconds(250),
                      logger: Logger) async throws -> WALCheckpointer {
        let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        do {
            _ = try await connection.query("PRAGMA busy_timeout = \(max(0, busyTimeoutMillis))", [])
        } catch {
            try? await connection.close()
            throw error
        }
        let checkpointer = WALCheckpointer(connection: connection, path: path, logger: logger)
        await checkpointer.run(every: interval)
        return checkpointer
    }

    private func run(every interval: Duration) {
        loop = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard !Task.isCancelled, let self else { return }
                await self.checkpoint()
            }
        }
    }

    /// One PASSIVE checkpoint: copies what it can without waiting for readers or writers.
    func checkpoint() async {
        do {
            _ = try await connection.query("PRAGMA wal_checkpoint(PASSIVE)", [])
        } catch {
            logger.warning("SQLite WAL checkpoint failed; will try again", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }

    /// Stops the loop, checkpoints once more and closes the connection.
    func stop() async {
        let running = loop
        loop = nil
        running?.cancel()
        await running?.value
        await checkpoint()
        try? await connection.close()
    }
}
