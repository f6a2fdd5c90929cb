import ArgumentParser
import ArriwaCore
import Foundation

/// `--format` values (FlowGraph.Format lives in ArriwaCore, which knows nothing of the CLI).
enum GraphFormat: String, CaseIterable, ExpressibleByArgument {
    case mermaid
    case dot

    var format: FlowGraph.Format {
        switch self {
        case .mermaid: .mermaid
        case .dot: .dot
        }
    }
}

struct GraphCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Draw a flow as a Mermaid or Graphviz DOT diagram.",
        discussion: """
        The path is a *.flow.yaml file or a tenant directory; for a directory every flow in it is drawn unless --flow picks one.

        Nodes show their id and type and are shaped by type: start (stadium), condition (rhombus), wait (hexagon), end (double circle), handover (subroutine box), others (rectangles). Edges carry their outcome (next, else, valid, timeout, ...); a condition's branches carry their `when` expression, cut to 40 characters. Edges to ids the flow does not define point at a dashed "(missing)" node.

        Problems found while loading are printed to stderr and the graph is still drawn from what could be read; run `arriwa validate` for the full checks.

        Exit codes: 0 drawn; 1 no flow could be read; 2 missing or unreadable path, or an unknown --flow.

        Examples:
          arriwa graph flows/demo-clinic/main.flow.yaml
          arriwa graph flows/demo-clinic --flow qualification --markdown > qualification.md
          arriwa graph flows/demo-clinic --format dot | dot -Tsvg > demo-clinic.svg
        """
    )

    @Argument(help: ArgumentHelp("A *.flow.yaml file or a tenant directory.", valueName: "path"))
    var path: String

    @Option(help: "Output format: mermaid or dot.")
    var format: GraphFormat = .mermaid

    @Option(help: ArgumentHelp("Draw only this flow (its `flow:` name or its file name without .flow.yaml).", valueName: "name"))
    var flow: String?

    @Flag(help: "Wrap Mermaid output in ```mermaid fences (with a heading per flow when there are several).")
    var markdown = false

    func validate() throws {
        if markdown && format != .mermaid {
            throw ValidationError("--markdown applies to --format mermaid only")
        }
    }

    func run() async throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            printError("graph: no such file or directory: \(path)")
            throw ExitCode(2)
        }
        let project = isDirectory.boolValue
            ? ProjectLoader.loadTenant(directory: path)
            : ProjectLoader.loadFlows(paths: [path])

        if !project.unreadable.isEmpty {
            for error in project.unreadable { printError("graph: \(error)") }
            throw ExitCode(2)
        }
        var flows = project.flows
        if let name = flow {
            flows = flows.filter { $0.name?.value == name || Self.baseName($0.file) == name }
            if flows.isEmpty {
                let available = project.flows.map { $0.name?.value ?? Self.baseName($0.file) }
                printError("graph: no flow named '\(name)' in \(path)" + (available.isEmpty ? "" : "; flows: \(available.joined(separator: ", "))"))
                throw ExitCode(2)
            }
        }
        // Problems of the files drawn (or of every file when nothing could be drawn).
        let drawn = Set(flows.map(\.file))
        for diagnostic in project.diagnostics.sorted(by: Diagnostic.ordered)
        where diagnostic.severity == .error && (drawn.isEmpty || drawn.contains(diagnostic.location.file)) {
            printError(diagnostic.description)
        }
        guard !flows.isEmpty else {
            printError(isDirectory.boolValue ? "graph: no readable *.flow.yaml in \(path)" : "graph: \(path) could not be read as a flow")
            throw ExitCode.failure
        }
        print(FlowGraph.render(flows, format: format.format, markdown: markdown), terminator: "")
    }

    static func baseName(_ file: String) -> String {
        let name = (file as NSString).lastPathComponent
        return name.hasSuffix(ProjectLoader.flowSuffix) ? String(name.dropLast(ProjectLoader.flowSuffix.count)) : name
    }

    private func printError(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}
