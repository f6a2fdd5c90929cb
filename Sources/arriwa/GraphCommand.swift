import ArgumentParser

struct GraphCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "graph", abstract: "TODO")
    func run() async throws {}
}
