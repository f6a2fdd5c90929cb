import ArgumentParser
import ArriwaCore
import Foundation

struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check tenant directories and flow files for errors before they are deployed.",
        discussion: """
            Each path is a tenant directory (it contains tenant.yaml), a directory searched \
            recursively for tenant directories (hidden directories and .build* are skipped), or \
            a single *.yaml file. A file inside a tenant directory validates the whole tenant; \
            a *.flow.yaml file with no tenant.yaml beside it is validated on its own.

            Suppress a finding with a YAML comment on the same line or on the line above it:
              # arriwa-ignore graph.unreachable: kept for the spring campaign
            The reason after the colon is required.

            FORMATS
              human    path:line:col: error: message [rule.id], the source line,
                       a caret line and a hint; then a summary line (default)
              json     {"version":1,"summary":{...},"diagnostics":[...]}
              sarif    SARIF 2.1.0, for GitHub code scanning and other SARIF tools
              github   GitHub Actions annotations (::error file=...,line=...::message)
            With json and sarif, and with --output, the summary line goes to stderr.

            EXIT STATUS
              0  no finding at or above the --fail-on level
              1  at least one finding at or above the --fail-on level
              2  usage error or unreadable input (a missing path, an unreadable
                 file, a directory with nothing to check)

            EXAMPLES
              arriwa validate tenants/acme
              arriwa validate tenants/ --format github
              arriwa validate tenants/ --format sarif --output arriwa.sarif
              arriwa validate flows/demo-clinic/main.flow.yaml --fail-on warning
              arriwa validate tenants/ --rule graph.unreachable --rule graph.dead-end
            """
    )

    @Argument(help: ArgumentHelp(
        "Tenant directories, directories of tenants, or *.yaml files.",
        valueName: "path"))
    var paths: [String]

    @ArgumentParser.Option(help: ArgumentHelp(
        "Output format: human, json, sarif or github.", valueName: "format"),
        completion: .list(OutputFormat.allCases.map(\.rawValue)))
    var format: String = OutputFormat.human.rawValue

    @ArgumentParser.Option(name: .customLong("fail-on"), help: ArgumentHelp(
        "Exit with status 1 when a finding is at or above this severity: error, warning, note or never.",
        valueName: "severity"),
        completion: .list(["error", "warning", "note", "never"]))
    var failOn: String = "error"

    @ArgumentParser.Option(help: ArgumentHelp(
        "Colour the human output: auto (when stdout is a terminal and NO_COLOR is unset), always or never.",
        valueName: "when"),
        completion: .list(ColorMode.allCases.map(\.rawValue)))
    var color: String = ColorMode.auto.rawValue

    @Flag(name: .shortAndLong, help: "Print only the summary line (human format; machine formats are unaffected).")
    var quiet = false

    @ArgumentParser.Option(name: .shortAndLong, help: ArgumentHelp(
        "Write the report to this file instead of stdout; the summary line goes to stderr.",
        valueName: "file"),
        completion: .file())
    var output: String?

    @ArgumentParser.Option(name: .customLong("rule"), help: ArgumentHelp(
        "Report only this rule (repeatable). Exit status and summary count only the rules shown.",
        valueName: "rule-id"))
    var rules: [String] = []

    enum ColorMode: String, CaseIterable {
        case auto, always, never
    }

    func run() async throws {
        guard let format = OutputFormat(rawValue: format) else {
            throw usage("--format must be one of \(OutputFormat.allCases.map(\.rawValue).joined(separator: ", ")), not '\(format)'")
        }
        let failThreshold: Severity?
        switch failOn {
        case "never": failThreshold = nil
        default:
            guard let severity = Severity(rawValue: failOn) else {
                throw usage("--fail-on must be one of error, warning, note, never, not '\(failOn)'")
            }
            failThreshold = severity
        }
        guard let colorMode = ColorMode(rawValue: color) else {
            throw usage("--color must be one of auto, always, never, not '\(color)'")
        }
        let unknownRules = rules.filter { Rules.byID[$0] == nil }
        if let first = unknownRules.first {
            throw usage("--rule '\(first)' is not a rule id")
        }

        var report: ValidationReport
        do {
            report = try await ValidationRun.run(paths: paths)
        } catch {
            throw usage(error.description)
        }
        if !rules.isEmpty {
            report = report.filtered(rules: Set(rules))
        }

        let colored: Bool = switch colorMode {
        case .always: true
        case .never: false
        case .auto: output == nil && isatty(STDOUT_FILENO) == 1
            && (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
        }
        let text: String
        do {
            text = try format.formatter(colored: colored, quiet: quiet).format(report)
        } catch {
            writeError("arriwa validate: cannot encode the report: \(error)")
            throw ExitCode(2)
        }

        if let output {
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                throw usage("cannot write '\(output)': \(error.localizedDescription)")
            }
            writeError(HumanFormatter(colored: colorMode == .always).summary(report.summary))
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
            if format.isMachineReadable {
                let stderrColored = colorMode == .always
                    || (colorMode == .auto && isatty(STDERR_FILENO) == 1
                        && (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty)
                writeError(HumanFormatter(colored: stderrColored).summary(report.summary))
            }
        }

        if !report.unreadable.isEmpty {
            for problem in report.unreadable {
                writeError("arriwa validate: error: \(problem)")
            }
            throw ExitCode(2)
        }
        if report.fails(at: failThreshold) {
            throw ExitCode(1)
        }
    }

    /// Prints `arriwa validate: <message>` to stderr and returns exit status 2.
    private func usage(_ message: String) -> ExitCode {
        writeError("arriwa validate: error: \(message)")
        return ExitCode(2)
    }

    private func writeError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
