import ArgumentParser
import ArriwaStore
import Foundation
import Logging

/// `--database-url` (or ARRIWA_DATABASE_URL), shared by every command that opens the store.
struct StoreOptions: ParsableArguments {
    @Option(name: .customLong("database-url"),
            help: ArgumentHelp("postgres://user@host:port/db, sqlite:path or memory:. Default: $ARRIWA_DATABASE_URL, else sqlite:./arriwa.db.",
                               valueName: "url"))
    var databaseURL: String?

    /// The URL to use: the flag, the environment, the default.
    func resolvedURL() throws -> StoreURL {
        if let text = databaseURL ?? ProcessInfo.processInfo.environment["ARRIWA_DATABASE_URL"], !text.isEmpty {
            do {
                return try StoreURL(text)
            } catch {
                throw ValidationError("\(error)")
            }
        }
        return .default
    }

    /// Opens the store, or prints why not (without the password) and exits 2.
    func open(logger: Logger) async throws -> any Store {
        let url = try resolvedURL()
        // The driver reports every failed connection attempt at info; the command reports the outcome.
        var quiet = logger
        quiet.logLevel = max(.warning, logger.logLevel)
        do {
            return try await StoreURL.open(url, logger: quiet)
        } catch {
            FileHandle.standardError.write(Data("arriwa: cannot open the database \(url.redactedDescription): \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}
