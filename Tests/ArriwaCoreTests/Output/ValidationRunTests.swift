import Foundation
import Testing
@testable import ArriwaCore

@Suite struct ValidationRunTests {
    static let tenantYAML = """
        tenant: acme
        entry_flow: f0
        languages: [en]
        provider: { kind: fake }

        """

    static func flowYAML(_ name: String) -> String {
        """
        flow: \(name)
        version: 1.0.0
        description: Greets the lead and hands over to a person.
        start: begin
        nodes:
          - id: begin
            type: start
            next: done
          - id: done
            type: end

        """
    }

    @Test func collectsTenantsRecursivelySkippingHiddenAndBuildDirectories() throws {
        let tree = try ValidateTestTree()
        try tree.write("tenants/acme/tenant.yaml", Self.tenantYAML)
        try tree.write("tenants/acme/main.flow.yaml", Self.flowYAML("main"))
        try tree.write("tenants/region/beta/tenant.yaml", Self.tenantYAML)
        try tree.write("tenants/.hidden/gamma/tenant.yaml", Self.tenantYAML)
        try tree.write("tenants/.build-out/delta/tenant.yaml", Self.tenantYAML)
        try tree.write("tenants/loose/a.flow.yaml", Self.flowYAML("a"))
        try tree.write("tenants/loose/notes.yaml", "not: a flow\n")
        let targets = try ValidationRun.collectTargets([tree.path("tenants")])
        #expect(targets == [
            ValidationTarget(path: tree.path("tenants/acme"), kind: .tenant),
            ValidationTarget(path: tree.path("tenants/loose"), kind: .looseFiles([tree.path("tenants/loose/a.flow.yaml")])),
            ValidationTarget(path: tree.path("tenants/region/beta"), kind: .tenant),
        ])
    }

    @Test func fileInsideATenantValidatesTheTenantOnce() throws {
        let tree = try ValidateTestTree()
        try tree.write("acme/tenant.yaml", Self.tenantYAML)
        try tree.write("acme/main.flow.yaml", Self.flowYAML("main"))
        let targets = try ValidationRun.collectTargets([
            tree.path("acme/main.flow.yaml"), tree.path("acme/"), tree.path("acme/tenant.yaml"), tree.path(""),
        ])
        #expect(targets == [ValidationTarget(path: tree.path("acme"), kind: .tenant)])
    }

    @Test func looseFlowsAreGroupedPerDirectory() throws {
        let tree = try ValidateTestTree()
        try tree.write("one/b.flow.yaml", Self.flowYAML("b"))
        try tree.write("one/a.flow.yaml", Self.flowYAML("a"))
        try tree.write("two/c.flow.yaml", Self.flowYAML("c"))
        let targets = try ValidationRun.collectTargets([
            tree.path("two/c.flow.yaml"), tree.path("one/b.flow.yaml"), tree.path("one/a.flow.yaml"), tree.path("one/a.flow.yaml"),
        ])
        #expect(targets == [
            ValidationTarget(path: tree.path("one"), kind: .looseFiles([tree.path("one/a.flow.yaml"), tree.path("one/b.flow.yaml")])),
            ValidationTarget(path: tree.path("two"), kind: .looseFiles([tree.path("two/c.flow.yaml")])),
        ])
    }

    @Test func unusablePathsAreInputErrors() throws {
        let tree = try ValidateTestTree()
        try tree.mkdir("empty/.git")
        try tree.write("readme.txt", "hello\n")
        let missing = tree.path("nope")
        #expect(throws: InputError(path: missing, message: "no such file or directory")) {
            try ValidationRun.collectTargets([missing])
        }
        #expect(throws: InputError.self) { try ValidationRun.collectTargets([tree.path("empty")]) }
        #expect(throws: InputError.self) { try ValidationRun.collectTargets([tree.path("readme.txt")]) }
    }

    @Test func reportsLoaderDiagnosticsSortedByPath() async throws {
        let tree = try ValidateTestTree()
        try tree.write("b/tenant.yaml", Self.tenantYAML + "bogus: 1\n")
        try tree.write("a/tenant.yaml", Self.tenantYAML + "languages: [ru\n")
        try tree.write("a/main.flow.yaml", Self.flowYAML("main"))
        let report = try await ValidationRun.run(paths: [tree.path("")])
        #expect(report.summary.tenants == 2)
        #expect(report.summary.files == 3)
        #expect(report.unreadable.isEmpty)
        let loader = report.diagnostics.filter { $0.rule.hasPrefix("yaml.") || $0.rule.hasPrefix("schema.") }
        #expect(loader.map(\.rule) == ["yaml.syntax", "schema.unknown-key"])
        #expect(loader.map(\.location.file) == [tree.path("a/tenant.yaml"), tree.path("b/tenant.yaml")])
        #expect(report.diagnostics == report.diagnostics.sorted(by: Diagnostic.ordered))
    }

    @Test func filteringByRule() {
        let report = OutputFixture.report.filtered(rules: ["graph.unreachable"])
        #expect(report.diagnostics == [OutputFixture.unreachable])
        #expect(report.summary == ValidationSummary(errors: 0, warnings: 1, notes: 0, files: 2, tenants: 1))
        #expect(!report.fails(at: .error))
        #expect(report.fails(at: .warning))
        #expect(report.fails(at: .note))
        #expect(!report.fails(at: nil))
        #expect(!OutputFixture.clean.fails(at: .note))
    }

    /// Many tenants and loose flows at once: every file is counted once, in path order, with
    /// no finding lost across the concurrent tasks. (Speed is measured by `arriwa bench lint`,
    /// never asserted in a unit test.)
    @Test func manyTenantsAndLooseFlowsAreAllValidated() async throws {
        let tree = try ValidateTestTree()
        for t in 0..<16 {
            try tree.write("t\(t)/tenant.yaml", Self.tenantYAML)
            for f in 0..<50 { try tree.write("t\(t)/f\(f).flow.yaml", Self.flowYAML("f\(f)")) }
        }
        for f in 0..<200 { try tree.write("loose/f\(f).flow.yaml", Self.flowYAML("f\(f)")) }
        // One broken flow deep inside: its finding must survive the fan-out.
        try tree.write("t7/f13.flow.yaml", Self.flowYAML("f13").replacingOccurrences(of: "type: start", with: "type: strat"))
        let report = try await ValidationRun.run(paths: [tree.path("")])
        #expect(report.summary.files == 16 * 51 + 200)
        #expect(report.diagnostics.map(\.rule).contains("schema.invalid-value"))
        #expect(report.diagnostics.allSatisfy { $0.location.file.hasSuffix("t7/f13.flow.yaml") })
        #expect(report.diagnostics.map(\.location) == report.diagnostics.map(\.location).sorted())
    }
}
