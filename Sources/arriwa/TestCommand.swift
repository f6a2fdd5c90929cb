import ArgumentParser
import ArriwaCore
import ArriwaRuntime
import Foundation

struct TestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run a tenant's conversation tests (tests/*.yaml) against its flows.",
        discussion: """
            Each test is a YAML script of lead messages, button taps, delivery statuses and \
            clock advances, with the bot messages, emitted events, variables and session \
            state expected after each step (docs/testing.md). Tests run on the in-memory \
            store with a virtual clock and the offline rules classifier: no network, no database.

            The tenant is validated first; a tenant with errors is not run (exit 2).

            EXIT STATUS
              0  every test passed
              1  at least one test failed
              2  usage error, a tenant with validation errors, or an unreadable test file

            EXAMPLES
              arriwa test flows/demo-clinic
              arriwa test flows/demo-clinic --filter nudge
              arriwa test flows/demo-clinic/tests/happy-path.yaml
              arriwa test flows/demo-clinic --format json
            """
    )

    @Argument(help: ArgumentHelp("A tenant directory (its tests/ folder runs) or single test files inside one.", valueName: "path"))
    var paths: [String]

    @Option(help: ArgumentHelp("Output format: human or json.", valueName: "format"), completion: .list(["human", "json"]))
    var format: String = "human"

    @Option(help: ArgumentHelp("Run only tests whose name or file contains this text.", valueName: "text"))
    var filter: String?

    func validate() throws {
        guard ["human", "json"].contains(format) else {
            throw ValidationError("--format must be human or json, not '\(format)'")
        }
    }

    func run() async throws {
        var groups: [(tenant: String, files: [String])] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                FileHandle.standardError.write(Data("\(path): no such file or directory\n".utf8))
                throw ExitCode(2)
            }
            if isDirectory.boolValue {
                let testsDir = (path as NSString).appendingPathComponent("tests")
                let names = ((try? FileManager.default.contentsOfDirectory(atPath: testsDir)) ?? [])
                    .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
                groups.append((path, names.map { (testsDir as NSString).appendingPathComponent($0) }))
            } else {
                let tenant = ((path as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent
                groups.append((tenant.isEmpty ? "." : tenant, [path]))
            }
        }
        var results: [ConversationResult] = []
        let start = ContinuousClock.now
        for group in groups {
            let loaded = try await TenantLoading.load(group.tenant)
            if group.files.isEmpty {
                FileHandle.standardError.write(Data("\(group.tenant): no tests (add YAML scripts under \(group.tenant)/tests/)\n".utf8))
                throw ExitCode(2)
            }
            let runner = ConversationRunner(program: loaded.program, loadProgram: { relative in
                Self.loadVersion(relative, tenant: group.tenant)
            })
            for file in group.files {
                let script: ConversationScript
                do {
                    script = try ConversationScript.parse(try SourceFile.read(path: file))
                } catch let error as ScriptError {
                    FileHandle.standardError.write(Data("\(error)\n".utf8))
                    throw ExitCode(2)
                } catch {
                    FileHandle.standardError.write(Data("\(file): \(error)\n".utf8))
                    throw ExitCode(2)
                }
                if let filter, !script.name.localizedCaseInsensitiveContains(filter), !file.localizedCaseInsensitiveContains(filter) {
                    continue
                }
                let result = await runner.run(script)
                results.append(result)
                if format == "human" { print(Self.human(result)) }
            }
        }
        let failed = results.filter { !$0.passed }.count
        let elapsed = ContinuousClock.now - start
        if format == "json" {
            print(Self.json(results))
        } else {
            let ms = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
            print("\n\(results.count) test(s): \(results.count - failed) passed, \(failed) failed (\(String(format: "%.0f", ms)) ms)")
        }
        if failed > 0 { throw ExitCode(1) }
    }

    static func loadVersion(_ relative: String, tenant: String) -> Result<Program, ScriptError> {
        let path = relative.hasPrefix("/") ? relative : (tenant as NSString).appendingPathComponent(relative)
        let project = ProjectLoader.loadTenant(directory: path)
        let errors = Validator.validate(project).filter { $0.severity == .error }
        if let first = errors.first {
            return .failure(ScriptError(message: "\(path) has \(errors.count) validation error(s), first: \(first.message)", location: first.location))
        }
        do {
            return .success(try Program.compile(project))
        } catch {
            return .failure(ScriptError(message: error.description, location: SourceLocation(file: path, line: 1, column: 1)))
        }
    }

    static func human(_ result: ConversationResult) -> String {
        guard let failure = result.failures.first else { return "✓ \(result.name)  (\(result.file))" }
        var lines = ["✗ \(result.name)  (\(result.file))",
                     "  step \(failure.step) of \(result.steps) `\(failure.label)` at \(failure.location):"]
        for line in failure.message.split(separator: "\n", omittingEmptySubsequences: false) { lines.append("    " + line) }
        return lines.joined(separator: "\n")
    }

    static func json(_ results: [ConversationResult]) -> String {
        var out = "{\"version\":1,\"summary\":{\"tests\":\(results.count),\"passed\":\(results.filter(\.passed).count),"
        out += "\"failed\":\(results.filter { !$0.passed }.count)},\"tests\":["
        for (i, result) in results.enumerated() {
            if i > 0 { out += "," }
            out += "{\"name\":\(quote(result.name)),\"file\":\(quote(result.file)),\"passed\":\(result.passed),\"steps\":\(result.steps)"
            if let f = result.failures.first {
                out += ",\"failure\":{\"step\":\(f.step),\"action\":\(quote(f.label)),\"file\":\(quote(f.location.file)),"
                out += "\"line\":\(f.location.line),\"column\":\(f.location.column),\"message\":\(quote(f.message))}"
            }
            out += "}"
        }
        return out + "]}"
    }

    static func quote(_ s: String) -> String {
        var out = ""
        JSONText.quote(s, into: &out)
        return out
    }
}
