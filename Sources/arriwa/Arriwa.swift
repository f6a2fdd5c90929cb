import ArgumentParser

@main
struct Arriwa: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "arriwa",
        abstract: "Durable workflow-graph engine for WhatsApp lead-qualification funnels.",
        subcommands: [ValidateCommand.self, SchemaCommand.self, GraphCommand.self]
    )
}
