import ArgumentParser
import Foundation

@main
struct Arriwa: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "arriwa",
        abstract: "Durable workflow-graph engine for WhatsApp lead-qualification funnels.",
        discussion: "Exit codes: 0 success, 1 findings or a failed check, 2 usage errors and unreadable input.",
        subcommands: [ValidateCommand.self, TestCommand.self, ChatCommand.self, ServeCommand.self, DeployCommand.self, MigrateCommand.self, PruneCommand.self, OutboxCommand.self, FakeProviderCommand.self, GraphCommand.self, SchemaCommand.self, BenchCommand.self]
    )

    /// As ArgumentParser's, but usage errors exit 2 (as linters do) instead of EX_USAGE (64).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            guard code == .validationFailure else { exit(withError: error) }
            let message = fullMessage(for: error)
            if !message.isEmpty { FileHandle.standardError.write(Data((message + "\n").utf8)) }
            Foundation.exit(2)
        }
    }
}
