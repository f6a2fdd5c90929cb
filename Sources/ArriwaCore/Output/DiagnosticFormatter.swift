/// Renders a validation report in one output format.
public protocol DiagnosticFormatter: Sendable {
    /// The complete report text (ends with a newline when not empty).
    func format(_ report: ValidationReport) throws -> String
}

/// The `--format` values of `arriwa validate`.
public enum OutputFormat: String, Sendable, Hashable, CaseIterable {
    /// Compiler-style text with source excerpts and carets.
    case human
    /// A JSON document (`JSONFormatter`).
    case json
    /// SARIF 2.1.0 for code-scanning tools (`SARIFFormatter`).
    case sarif
    /// GitHub Actions workflow commands (`::error file=…`).
    case github

    /// Whether the output is meant for programs (the human summary then goes to stderr).
    public var isMachineReadable: Bool { self == .json || self == .sarif }

    public func formatter(colored: Bool = false, quiet: Bool = false) -> any DiagnosticFormatter {
        switch self {
        case .human: HumanFormatter(colored: colored, quiet: quiet)
        case .json: JSONFormatter()
        case .sarif: SARIFFormatter()
        case .github: GitHubFormatter()
        }
    }
}

/// Counts of a report.
public struct ValidationSummary: Sendable, Hashable, Codable {
    public var errors: Int
    public var warnings: Int
    public var notes: Int
    /// Files read (tenant.yaml, manifest.yaml, flow files).
    public var files: Int
    /// Tenant directories validated (loose flow files do not count).
    public var tenants: Int

    public init(errors: Int = 0, warnings: Int = 0, notes: Int = 0, files: Int = 0, tenants: Int = 0) {
        self.errors = errors
        self.warnings = warnings
        self.notes = notes
        self.files = files
        self.tenants = tenants
    }

    public init(diagnostics: [Diagnostic], files: Int, tenants: Int) {
        self.init(files: files, tenants: tenants)
        for diagnostic in diagnostics {
            switch diagnostic.severity {
            case .error: errors += 1
            case .warning: warnings += 1
            case .note: notes += 1
            }
        }
    }

    public var problems: Int { errors + warnings + notes }

    /// `2 errors, 1 warning, 0 notes in 3 files (1 tenant)` or `✓ no problems in 3 files (1 tenant)`.
    public var line: String {
        let scope = "in \(Self.count(files, "file")) (\(Self.count(tenants, "tenant")))"
        if problems == 0 { return "✓ no problems \(scope)" }
        return "\(Self.count(errors, "error")), \(Self.count(warnings, "warning")), \(Self.count(notes, "note")) \(scope)"
    }

    static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
}

/// The outcome of validating some paths: the findings to report and the files they point into.
public struct ValidationReport: Sendable {
    /// Findings after suppressions and rule filters, sorted with `Diagnostic.ordered`.
    public var diagnostics: [Diagnostic]
    /// Every file read, by path (for quoting source lines).
    public var files: [String: SourceFile]
    public var summary: ValidationSummary
    /// Files that could not be read at all (missing, unreadable, not UTF-8): `arriwa validate`
    /// exits with status 2 when there are any.
    public var unreadable: [LoadError]

    public init(diagnostics: [Diagnostic], files: [String: SourceFile], tenants: Int, unreadable: [LoadError] = []) {
        self.diagnostics = diagnostics
        self.files = files
        self.unreadable = unreadable
        self.summary = ValidationSummary(diagnostics: diagnostics, files: files.count, tenants: tenants)
    }

    /// The most severe finding, or nil when there are none.
    public var highestSeverity: Severity? { diagnostics.map(\.severity).max() }

    /// Whether the report fails a `--fail-on` threshold (nil: never fail).
    public func fails(at threshold: Severity?) -> Bool {
        guard let threshold, let highest = highestSeverity else { return false }
        return highest >= threshold
    }

    /// Only the findings of the given rules.
    public func filtered(rules: Set<String>) -> ValidationReport {
        var copy = self
        copy.diagnostics = diagnostics.filter { rules.contains($0.rule) }
        copy.summary = ValidationSummary(diagnostics: copy.diagnostics, files: summary.files, tenants: summary.tenants)
        return copy
    }
}
