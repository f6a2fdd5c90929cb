import Foundation
import Testing
@testable import ArriwaCore

/// End-to-end tests of `arriwa validate`: they run the built binary (`.build*/debug/arriwa`).
/// `swift test` builds it together with the tests; set `ARRIWA_BINARY` to test another binary.
@Suite struct ValidateCLITests {
    static let cleanTenant = """
        tenant: acme
        languages: [en]
        provider:
          kind: fake

        """

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `arriwa <arguments>` in `directory`.
    func arriwa(_ arguments: [String], in directory: String) throws -> Result {
        let binary = try #require(
            Self.binary,
            "the arriwa binary was not found (looked for \(Self.packageRoot)/.build*/debug/arriwa); run `swift build` first")
        let out = directory + "/.stdout-\(UUID().uuidString)"
        let err = directory + "/.stderr-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: out)
            try? FileManager.default.removeItem(atPath: err)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = nil
        process.environment = environment
        let outHandle = try #require(FileHandle(forWritingAtPath: out))
        let errHandle = try #require(FileHandle(forWritingAtPath: err))
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try outHandle.close()
        try errHandle.close()
        return Result(
            status: process.terminationStatus,
            stdout: String(decoding: FileManager.default.contents(atPath: out) ?? Data(), as: UTF8.self),
            stderr: String(decoding: FileManager.default.contents(atPath: err) ?? Data(), as: UTF8.self))
    }

    static let packageRoot: String = {
        // <root>/Tests/ArriwaCoreTests/CLI/ValidateCLITests.swift
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// `ARRIWA_BINARY`; else `arriwa` next to the running test binary (same build folder); else the
    /// newest `.build*/debug/arriwa` of the package.
    static let binary: String? = {
        let fm = FileManager.default
        func isExecutableFile(_ path: String) -> Bool {
            var isDirectory: ObjCBool = false
            return fm.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
                && fm.isExecutableFile(atPath: path)
        }
        if let explicit = ProcessInfo.processInfo.environment["ARRIWA_BINARY"], isExecutableFile(explicit) {
            return explicit
        }
        if let runner = CommandLine.arguments.first, runner.contains("/") {
            var url = URL(fileURLWithPath: runner).resolvingSymlinksInPath()
            for _ in 0..<4 {
                url.deleteLastPathComponent()
                let candidate = url.appendingPathComponent("arriwa").path
                if isExecutableFile(candidate) { return candidate }
            }
        }
        let entries = (try? fm.contentsOfDirectory(atPath: packageRoot)) ?? []
        let candidates = entries.filter { $0.hasPrefix(".build") }
            .map { "\(packageRoot)/\($0)/debug/arriwa" }
            .filter(isExecutableFile)
        func modified(_ path: String) -> Date {
            ((try? fm.attributesOfItem(atPath: path))?[.modificationDate] as? Date) ?? .distantPast
        }
        return candidates.max { modified($0) < modified($1) }
    }()

    /// Note: `swift test` compiles the executable's module but does not relink the `arriwa`
    /// binary; run `swift build` first so these tests exercise the current code.
    @Test func binaryIsBuilt() {
        #expect(Self.binary != nil, "the arriwa binary was not found under \(Self.packageRoot)/.build*/debug; run `swift build` first")
    }

    @Test func cleanTenantExitsZero() throws {
        let tree = try ValidateTestTree()
        try tree.write("acme/tenant.yaml", Self.cleanTenant)
        let result = try arriwa(["validate", "acme"], in: tree.root)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout == "✓ no problems in 1 file (1 tenant)\n")
    }

    @Test func errorsExitOneWithCompilerStyleOutput() throws {
        let tree = try ValidateTestTree()
        try tree.write("acme/tenant.yaml", Self.cleanTenant + "provder_x: 1\n")
        let result = try arriwa(["validate", "acme"], in: tree.root)
        #expect(result.status == 1)
        #expect(result.stdout.contains("acme/tenant.yaml:5:1: error: unknown key 'provder_x'"), "\(result.stdout)")
        #expect(result.stdout.contains("[schema.unknown-key]\nprovder_x: 1\n^~~~~~~~~\n"), "\(result.stdout)")
        #expect(result.stdout.hasSuffix("in 1 file (1 tenant)\n"))
        #expect(!result.stdout.contains("\u{1B}["), "no colour when stdout is not a terminal")
    }

    @Test func badYAMLExitsOne() throws {
        let tree = try ValidateTestTree()
        try tree.write("acme/tenant.yaml", "tenant: acme\nlanguages: [en\n")
        let result = try arriwa(["validate", "acme/tenant.yaml"], in: tree.root)
        #expect(result.status == 1)
        #expect(result.stdout.contains("[yaml.syntax]"), "\(result.stdout)")
    }

    @Test func failOnThresholds() throws {
        let tree = try ValidateTestTree()
        // A suppression naming an unknown rule is a warning; nothing else is wrong.
        try tree.write("warn/tenant.yaml", Self.cleanTenant + "# arriwa-ignore no.such-rule: testing\nname: Acme\n")
        try tree.write("err/tenant.yaml", Self.cleanTenant + "bogus: 1\n")

        let warning = try arriwa(["validate", "warn"], in: tree.root)
        #expect(warning.status == 0, "\(warning.stdout)")
        #expect(warning.stdout.contains("warning: 'no.such-rule' is not a rule id [suppress.unknown-rule]"), "\(warning.stdout)")
        #expect(warning.stdout.contains("0 errors, 1 warning, 0 notes in 1 file (1 tenant)"))
        #expect(try arriwa(["validate", "warn", "--fail-on", "warning"], in: tree.root).status == 1)
        #expect(try arriwa(["validate", "warn", "--fail-on", "note"], in: tree.root).status == 1)
        #expect(try arriwa(["validate", "warn", "--fail-on", "error"], in: tree.root).status == 0)
        #expect(try arriwa(["validate", "err", "--fail-on", "never"], in: tree.root).status == 0)
        #expect(try arriwa(["validate", "err", "--fail-on", "warning"], in: tree.root).status == 1)
    }

    @Test func usageErrorsExitTwo() throws {
        let tree = try ValidateTestTree()
        try tree.write("acme/tenant.yaml", Self.cleanTenant)
        try tree.mkdir("empty")

        let missing = try arriwa(["validate", "acme", "no/such/dir"], in: tree.root)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no/such/dir"), "\(missing.stderr)")
        #expect(missing.stdout.isEmpty)

        #expect(try arriwa(["validate", "empty"], in: tree.root).status == 2)
        #expect(try arriwa(["validate", "acme", "--format", "xml"], in: tree.root).status == 2)
        #expect(try arriwa(["validate", "acme", "--fail-on", "sometimes"], in: tree.root).status == 2)
        #expect(try arriwa(["validate", "acme", "--rule", "no.such-rule"], in: tree.root).status == 2)
    }

    @Test("graph: draws the demo, exits 2 on a missing path or an unknown --flow, and an unknown flag is a usage error (2)")
    func graphExitCodes() throws {
        let root = Self.packageRoot
        let drawn = try arriwa(["graph", "flows/demo-clinic", "--flow", "main"], in: root)
        #expect(drawn.status == 0)
        #expect(drawn.stdout.hasPrefix("flowchart TD"))
        #expect(drawn.stdout.contains("-->|\"qualified\"|"))
        #expect(try arriwa(["graph", "no/such/flow.yaml"], in: root).status == 2)
        let unknown = try arriwa(["graph", "flows/demo-clinic", "--flow", "nope"], in: root)
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("main, qualification"))
        #expect(try arriwa(["graph", "flows/demo-clinic", "--bogus"], in: root).status == 2)
    }

    @Test func fileThatCannotBeDecodedExitsTwo() throws {
        let tree = try ValidateTestTree()
        try tree.write("acme/tenant.yaml", Self.cleanTenant)
        try Data([0x66, 0x6C, 0x6F, 0x77, 0x3A, 0x20, 0xFF, 0xFE, 0x0A]).write(to: URL(fileURLWithPath: tree.path("acme/bad.flow.yaml")))
        let result = try arriwa(["validate", "acme"], in: tree.root)
        #expect(result.status == 2)
        #expect(result.stderr.contains("acme/bad.flow.yaml"), "\(result.stderr)")
    }

    @Test func jsonOnStdoutSummaryOnStderr() throws {
        let tree = try ValidateTestTree()
        try tree.write("acme/tenant.yaml", Self.cleanTenant + "bogus: 1\n")
        let result = try arriwa(["validate", "acme", "--format", "json"], in: tree.root)
        #expect(result.status == 1)
        let document = try JSONDecoder().decode(JSONFormatter.Document.self, from: Data(result.stdout.utf8))
        let entry = try #require(document.diagnostics.first { $0.rule == "schema.unknown-key" })
        #expect(entry.file == "acme/tenant.yaml")
        #expect(entry.line == 5)
        #expect(entry.column == 1)
        #expect(entry.endColumn == 6)
        #expect(document.summary.files == 1)
        #expect(result.stderr.contains("in 1 file (1 tenant)"))
    }

    @Test func sarifToAFile() throws {
        let tree = try ValidateTestTree()
        try tree.write("acme/tenant.yaml", Self.cleanTenant + "bogus: 1\n")
        let result = try arriwa(["validate", "acme", "--format", "sarif", "--output", "out.sarif"], in: tree.root)
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("1 error"), "\(result.stderr)")
        let data = try #require(FileManager.default.contents(atPath: tree.path("out.sarif")))
        let log = try JSONDecoder().decode(SARIFFormatter.Log.self, from: data)
        #expect(log.version == "2.1.0")
        let first = try #require(log.runs.first?.results.first { $0.ruleId == "schema.unknown-key" })
        #expect(first.locations.first?.physicalLocation.artifactLocation.uri == "acme/tenant.yaml")
        #expect(first.level == "error")
    }

    @Test func githubFormat() throws {
        let tree = try ValidateTestTree()
        try tree.write("acme/tenant.yaml", Self.cleanTenant + "bogus: 1\n")
        let result = try arriwa(["validate", "acme", "--format", "github", "--rule", "schema.unknown-key"], in: tree.root)
        #expect(result.status == 1)
        #expect(result.stdout.hasPrefix("::error file=acme/tenant.yaml,line=5,col=1,endColumn=6,title=schema.unknown-key::unknown key 'bogus'"), "\(result.stdout)")
        #expect(result.stdout.hasSuffix("1 error, 0 warnings, 0 notes in 1 file (1 tenant)\n"))
    }

    @Test func quietAndColor() throws {
        let tree = try ValidateTestTree()
        try tree.write("acme/tenant.yaml", Self.cleanTenant + "bogus: 1\n")
        let quiet = try arriwa(["validate", "acme", "--quiet", "--rule", "schema.unknown-key"], in: tree.root)
        #expect(quiet.stdout == "1 error, 0 warnings, 0 notes in 1 file (1 tenant)\n")
        let colored = try arriwa(["validate", "acme", "--color", "always"], in: tree.root)
        #expect(colored.stdout.contains("\u{1B}[1;31merror:"))
    }

    @Test func ruleFilterDecidesTheExitStatus() throws {
        let tree = try ValidateTestTree()
        try tree.write("acme/tenant.yaml", Self.cleanTenant + "bogus: 1\n")
        let result = try arriwa(["validate", "acme", "--rule", "graph.unreachable"], in: tree.root)
        #expect(result.status == 0)
        #expect(result.stdout == "✓ no problems in 1 file (1 tenant)\n")
    }
}
