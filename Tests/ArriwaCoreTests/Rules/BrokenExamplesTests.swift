import Foundation
import Testing
@testable import ArriwaCore

/// `examples/broken/<rule-id>/` holds, for every rule, a small tenant that breaks it. Each has an
/// `expected.txt` listing every diagnostic `arriwa validate` reports for it, one per line as
/// `<rule-id> <file>:<line>:<column>`, in the validator's order. These tests are the positive test
/// of every rule (it fires, at that exact position) and, with the clean tenants, the negative one.
@Suite struct RulesBrokenExamplesTests {
    /// The package root: this file is Tests/ArriwaCoreTests/Rules/BrokenExamplesTests.swift.
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()

    static let brokenDirectory = packageRoot.appendingPathComponent("examples/broken")

    /// Every example directory under examples/broken/, sorted.
    static let exampleNames: [String] = {
        let fm = FileManager.default
        let entries = (try? fm.contentsOfDirectory(atPath: brokenDirectory.path)) ?? []
        return entries.filter { name in
            var isDirectory: ObjCBool = false
            return fm.fileExists(atPath: brokenDirectory.appendingPathComponent(name).path, isDirectory: &isDirectory)
                && isDirectory.boolValue
        }.sorted()
    }()

    /// What `arriwa validate <directory>` reports, as `<rule> <file name>:<line>:<column>` lines.
    static func findings(in directory: String) -> [String] {
        let project = ProjectLoader.loadTenant(directory: directory)
        let diagnostics = Suppressions.apply(Validator.validate(project), files: project.files)
        return diagnostics.map(Self.line)
    }

    static func line(_ diagnostic: Diagnostic) -> String {
        let file = (diagnostic.location.file as NSString).lastPathComponent
        return "\(diagnostic.rule) \(file):\(diagnostic.location.line):\(diagnostic.location.column)"
    }

    /// The lines of an example's expected.txt (blank lines and `#` comments skipped).
    static func expected(_ name: String) throws -> [String] {
        let url = brokenDirectory.appendingPathComponent(name).appendingPathComponent("expected.txt")
        let text = try String(contentsOf: url, encoding: .utf8)
        return text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }

    @Test func theExamplesAreFound() {
        #expect(Self.exampleNames.count >= Rules.all.count, "examples found in \(Self.brokenDirectory.path): \(Self.exampleNames)")
    }

    @Test("An example reports exactly the diagnostics of its expected.txt", arguments: exampleNames)
    func exampleReportsExactlyItsExpectedDiagnostics(_ name: String) throws {
        let expected = try Self.expected(name)
        let actual = Self.findings(in: Self.brokenDirectory.appendingPathComponent(name).path)
        #expect(actual == expected, """
            examples/broken/\(name)
            expected (expected.txt):
              \(expected.joined(separator: "\n  "))
            actual (validator):
              \(actual.joined(separator: "\n  "))
            """)
    }

    @Test("Every rule has an example directory named after it", arguments: Rules.all.map(\.id))
    func everyRuleHasAnExample(_ rule: String) {
        #expect(Self.exampleNames.contains(rule), "examples/broken/\(rule)/ is missing: the rule has no positive test")
    }

    @Test("An example's expected.txt contains its own rule", arguments: Rules.all.map(\.id))
    func exampleExpectsItsRule(_ rule: String) throws {
        try #require(Self.exampleNames.contains(rule), "examples/broken/\(rule)/ is missing")
        let expected = try Self.expected(rule)
        #expect(expected.contains { $0.hasPrefix(rule + " ") }, "examples/broken/\(rule)/expected.txt does not list \(rule): \(expected)")
    }

    @Test("Every example directory is named after a rule")
    func everyExampleIsNamedAfterARule() {
        let unknown = Self.exampleNames.filter { Rules.byID[$0] == nil }
        #expect(unknown.isEmpty, "examples/broken/ directories that name no rule: \(unknown)")
    }

    @Test("Every line of expected.txt is `<rule-id> <file>:<line>:<column>` with a known rule", arguments: exampleNames)
    func expectedLinesAreWellFormed(_ name: String) throws {
        for line in try Self.expected(name) {
            let parts = line.split(separator: " ")
            #expect(parts.count == 2, "\(name): '\(line)'")
            guard parts.count == 2 else { continue }
            #expect(Rules.byID[String(parts[0])] != nil, "\(name): unknown rule in '\(line)'")
            let position = parts[1].split(separator: ":")
            #expect(position.count == 3 && Int(position[1]) != nil && Int(position[2]) != nil, "\(name): bad position in '\(line)'")
        }
    }

    @Test("A clean tenant produces no diagnostics at all", arguments: ["flows/demo-clinic", "examples/minimal"])
    func cleanTenantHasNoDiagnostics(_ path: String) {
        let directory = Self.packageRoot.appendingPathComponent(path).path
        #expect(ProjectLoader.isTenantDirectory(directory))
        let project = ProjectLoader.loadTenant(directory: directory)
        #expect(project.unreadable.isEmpty)
        #expect(!project.flows.isEmpty)
        let findings = Self.findings(in: directory)
        #expect(findings.isEmpty, "\(path) should be clean: \(findings)")
    }
}
