import ArgumentParser
import ArriwaRuntime
import Logging

/// `arriwa serve`'s settings: options first, then the environment, then defaults.
struct ServeSettings {
    var databaseURL: String
    var host: String
    var port: Int
    var workers: Int
    var dispatchConcurrency: Int
    var logFormat: ServeCommand.LogFormat
    var logLevel: Logger.Level
    var retentionDays: Int

    init(command: ServeCommand, env: [String: String]) throws {
        func value(_ name: String) -> String? {
            guard let text = env[name], !text.isEmpty else { return nil }
            return text
        }
        databaseURL = command.databaseURL ?? value("ARRIWA_DATABASE_URL") ?? "sqlite:./arriwa.db"
        host = command.host ?? value("ARRIWA_HOST") ?? "0.0.0.0"
        let port = command.port ?? value("ARRIWA_PORT").map { Int($0) ?? -1 } ?? 8080
        guard (0...65535).contains(port) else {
            throw ValidationError("the port must be 0…65535 (--port or ARRIWA_PORT)")
        }
        self.port = port
        let workers = command.workers ?? value("ARRIWA_WORKERS").map { Int($0) ?? -1 } ?? 4
        guard (1...256).contains(workers) else {
            throw ValidationError("workers must be 1…256 (--workers or ARRIWA_WORKERS)")
        }
        self.workers = workers
        let dispatch = command.dispatchConcurrency ?? value("ARRIWA_DISPATCH_CONCURRENCY").map { Int($0) ?? -1 }
            ?? OutboxDispatcher.Configuration().concurrency
        guard (1...4096).contains(dispatch) else {
            throw ValidationError("dispatch concurrency must be 1…4096 (--dispatch-concurrency or ARRIWA_DISPATCH_CONCURRENCY)")
        }
        dispatchConcurrency = dispatch
        let formatText = command.logFormat?.rawValue ?? value("ARRIWA_LOG_FORMAT") ?? "text"
        guard let format = ServeCommand.LogFormat(rawValue: formatText) else {
            throw ValidationError("log format must be text or json (--log-format or ARRIWA_LOG_FORMAT)")
        }
        logFormat = format
        let levelText = command.logLevel ?? value("ARRIWA_LOG_LEVEL") ?? "info"
        guard let level = Logger.Level(rawValue: levelText) else {
            throw ValidationError("log level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        logLevel = level
        let retention = command.retentionDays ?? value("ARRIWA_RETENTION_DAYS").map { Int($0) ?? -1 } ?? 14
        guard retention >= RetentionPruner.Configuration.minimumDays else {
            throw ValidationError("retention must be at least \(RetentionPruner.Configuration.minimumDays) days (--retention-days or "
                + "ARRIWA_RETENTION_DAYS): processed inbox rows are the dedupe record of webhook redeliveries, which Meta retries for 7 days")
        }
        retentionDays = retention
    }
}

enum ServeLogging {
    static func bootstrap(format: ServeCommand.LogFormat, level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler
            switch format {
            case .json: handler = JSONLogHandler(label: label)
            case .text: handler = StreamLogHandler.standardError(label: label)
            }
            handler.logLevel = level
            return handler
        }
    }
}
