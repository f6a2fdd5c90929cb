import ArgumentParser
import ArriwaCore
import Foundation

struct SchemaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Generate the JSON Schemas and node reference pages in nodes/ from the Swift definitions.",
        discussion: """
        Writes, under the output directory:
          schema/*.schema.json  JSON Schemas (draft-07) of tenant.yaml, manifest.yaml
                                and *.flow.yaml for yaml-language-server
          README.md             index of node types and the editor setup
          tenant.md, manifest.md, flow.md
                                reference of each kind of file
          <type>.md             one page per node type (e.g. wa.send.md)

        Only files whose contents change are rewritten. Run it after editing
        Sources/ArriwaCore/Schema/*.swift and commit the result.

        With --check nothing is written: the command lists files that are missing,
        out of date or no longer generated and exits 1 (for CI), or exits 0 when all match.

        Examples:
          arriwa schema
          arriwa schema --check
          arriwa schema --output-dir /tmp/nodes
        """
    )

    @Option(name: .customLong("output-dir"), help: ArgumentHelp("Directory to write to.", valueName: "dir"))
    var outputDir: String = "nodes"

    @Flag(help: "Write nothing; exit 1 listing the files that differ from what would be generated.")
    var check = false

    func run() async throws {
        let files = CatalogFiles.all()
        if check {
            try runCheck(files)
        } else {
            try write(files)
        }
    }

    private func display(_ path: String) -> String {
        (outputDir as NSString).appendingPathComponent(path)
    }

    private func runCheck(_ files: [GeneratedFile]) throws {
        let differences = CatalogFiles.differences(in: outputDir, files: files)
        guard !differences.isEmpty else {
            print("schema: all \(files.count) generated files in \(outputDir) are up to date")
            return
        }
        for difference in differences {
            let why = switch difference.kind {
            case .missing: "missing"
            case .outdated: "out of date"
            case .stale: "no longer generated (delete it)"
            }
            print("  \(display(difference.path)): \(why)")
        }
        let outdated = differences.filter { $0.kind != .stale }.count
        let stale = differences.count - outdated
        var parts: [String] = []
        if outdated > 0 { parts.append("\(outdated) of \(files.count) generated files differ") }
        if stale > 0 { parts.append("\(stale) stale file\(stale == 1 ? "" : "s")") }
        printError("schema: \(parts.joined(separator: ", ")); run `swift run arriwa schema` and commit the result")
        throw ExitCode.failure
    }

    private func write(_ files: [GeneratedFile]) throws {
        let fm = FileManager.default
        var created = 0
        var updated = 0
        var unchanged = 0
        for file in files {
            let path = display(file.path)
            let data = Data(file.contents.utf8)
            let existing = fm.contents(atPath: path)
            if existing == data {
                unchanged += 1
                continue
            }
            do {
                let directory = (path as NSString).deletingLastPathComponent
                if !directory.isEmpty {
                    try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
                }
                try data.write(to: URL(fileURLWithPath: path), options: .atomic)
            } catch {
                printError("schema: cannot write \(path): \(error.localizedDescription)")
                throw ExitCode.failure
            }
            if existing == nil {
                created += 1
                print("  created \(path)")
            } else {
                updated += 1
                print("  updated \(path)")
            }
        }
        let stale = CatalogFiles.differences(in: outputDir, files: files).filter { $0.kind == .stale }
        for difference in stale {
            print("  stale   \(display(difference.path)): no longer generated; delete it")
        }
        var summary = "schema: \(files.count) files in \(outputDir): \(created) created, \(updated) updated, \(unchanged) unchanged"
        if !stale.isEmpty { summary += ", \(stale.count) stale" }
        print(summary)
    }

    private func printError(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}
