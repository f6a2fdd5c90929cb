import ArgumentParser
import ArriwaRuntime
import ArriwaStore
import Foundation
import Logging

struct PruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Delete processed inbox entries and delivered outbox rows older than the retention (serve does this hourly).",
        discussion: """
            Only rows whose work is finished go: inbox entries marked done and outbox rows \
            delivered before the cutoff. Pending, failed and dead rows, sessions, timers, the \
            message/event/audit logs are kept. Safe while servers run. The retention is at least \
            8 days: a processed inbox row is the dedupe record of its provider message id, and \
            Meta retries webhooks for up to 7 days.

            EXIT STATUS
              0  pruned (or nothing to prune)
              2  bad options, or the database cannot be reached

            EXAMPLES
              arriwa prune                                    # sqlite:./arriwa.db, 14 days
              arriwa prune --retention-days 30 --database-url postgres://arriwa@db/arriwa
            """
    )

    @OptionGroup var store: StoreOptions

    @Option(name: .customLong("retention-days"), help: ArgumentHelp("Keep this many days (default 14, at least 8).", valueName: "days"))
    var retentionDays = 14

    func validate() throws {
        guard retentionDays >= RetentionPruner.Configuration.minimumDays else {
            throw ValidationError("--retention-days must be at least \(RetentionPruner.Configuration.minimumDays) "
                + "(webhook redeliveries are deduplicated against processed inbox rows; Meta retries for 7 days)")
        }
    }

    func run() async throws {
        let logger = Logger(label: "arriwa.prune")
        let opened = try await store.open(logger: logger)
        let url = try store.resolvedURL()
        do {
            guard try await opened.schemaVersion() > 0 else {
                try? await opened.shutdown()
                FileHandle.standardError.write(Data("arriwa prune: \(url.redactedDescription) has no Arriwa schema (run `arriwa migrate` first)\n".utf8))
                throw ExitCode(2)
            }
            let pruner = RetentionPruner(store: opened, configuration: .init(retentionDays: retentionDays), logger: logger)
            let counts = try await pruner.pruneAll()
            try? await opened.shutdown()
            print("\(url.redactedDescription): pruned \(counts.inbox) inbox entr\(counts.inbox == 1 ? "y" : "ies") and "
                + "\(counts.outbox) outbox row\(counts.outbox == 1 ? "" : "s") older than \(retentionDays) days")
        } catch let exit as ExitCode {
            throw exit
        } catch {
            try? await opened.shutdown()
            FileHandle.standardError.write(Data("arriwa prune: \(url.redactedDescription): \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}
