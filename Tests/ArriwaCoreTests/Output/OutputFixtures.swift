@testable import ArriwaCore

/// A fixed report for exact-output tests of the formatters.
enum OutputFixture {
    static let tenantPath = "acme/tenant.yaml"
    static let flowPath = "acme/main.flow.yaml"
    /// Not among the files: no source line is quoted. Has `:` and `,` for GitHub escaping.
    static let oddPath = "x:y/odd,name.flow.yaml"

    static let files: [String: SourceFile] = [
        tenantPath: SourceFile(path: tenantPath, text: "tenant: acme\nlanguages: [en]\nprovder:\n  kind: fake\n"),
        flowPath: SourceFile(path: flowPath, text: "flow: main\nnodes:\n\t- id: ab\n"),
    ]

    static let unknownKey = Diagnostic(
        rule: "schema.unknown-key", message: "unknown key 'provder' in tenant.yaml",
        at: SourceLocation(file: tenantPath, line: 3, column: 1), length: 7, hint: "did you mean 'provider'?")
    static let unreachable = Diagnostic(
        rule: "graph.unreachable", message: "node 'ab' is unreachable",
        at: SourceLocation(file: flowPath, line: 3, column: 8), length: 2)
    static let note = Diagnostic(
        rule: "expr.constant-condition", severity: .note, message: "50% of 'a,b'\nsecond line",
        at: SourceLocation(file: oddPath, line: 7, column: 2))

    static var report: ValidationReport {
        ValidationReport(
            diagnostics: [unknownKey, unreachable, note].sorted(by: Diagnostic.ordered),
            files: files, tenants: 1)
    }

    static var clean: ValidationReport {
        ValidationReport(diagnostics: [], files: files, tenants: 1)
    }
}
