import ArriwaStore
import Foundation
import Logging

/// What the durable-runtime benchmarks share: quiet logs and where the store lives.
enum BenchSetup {
    /// Errors only, unless ARRIWA_BENCH_LOG_LEVEL says otherwise (e.g. debug).
    static func bootstrapLogging() {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = ProcessInfo.processInfo.environment["ARRIWA_BENCH_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .error
            return handler
        }
    }

    /// The `--database-url` given, or a new SQLite file `<name>.db` in a temporary directory.
    static func storeURL(_ databaseURL: String?, name: String) throws -> StoreURL {
        if let databaseURL { return try StoreURL(databaseURL) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("arriwa-\(name)-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return .sqlite(path: dir + "/\(name).db")
    }
}
