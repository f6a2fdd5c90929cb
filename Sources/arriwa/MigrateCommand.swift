import ArgumentParser
import ArriwaStore
import Foundation
import Logging

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the database schema migrations (serve also does this on start).",
        discussion: """
            Safe to run while servers are up and from several places at once: migrations run \
            in a transaction under a database lock and are recorded in schema_migrations.

            EXIT STATUS
              0  the schema is current
              2  the database cannot be reached or a migration failed

            EXAMPLES
              arriwa migrate                                  # sqlite:./arriwa.db
              ARRIWA_DATABASE_URL=postgres://arriwa@localhost/arriwa arriwa migrate
              arriwa migrate --database-url sqlite:/var/lib/arriwa/arriwa.db
            """
    )

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let logger = Logger(label: "arriwa.migrate")
        let opened = try await store.open(logger: logger)
        let url = try store.resolvedURL()
        do {
            let applied = try await opened.migrate()
            let version = try await opened.schemaVersion()
            try? await opened.shutdown()
            if applied.isEmpty {
                print("\(url.redactedDescription): schema is current (version \(version))")
            } else {
                print("\(url.redactedDescription): applied migration(s) \(applied.map(String.init).joined(separator: ", ")); schema version \(version)")
            }
        } catch {
            try? await opened.shutdown()
            FileHandle.standardError.write(Data("arriwa migrate: \(url.redactedDescription): \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}
