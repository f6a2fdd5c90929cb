import Foundation

/// A JSON document:
///
/// ```json
/// {"version": 1,
///  "summary": {"errors": 1, "warnings": 0, "notes": 0, "files": 3, "tenants": 1},
///  "diagnostics": [{"rule": "schema.unknown-key", "severity": "error", "message": "…",
///                   "file": "acme/tenant.yaml", "line": 4, "column": 3, "endColumn": 9, "hint": null}]}
/// ```
///
/// `endColumn` is exclusive (`column + length`); `hint` is `null` when there is none. Keys are
/// sorted and the document is pretty-printed, so output is stable for diffs.
public struct JSONFormatter: DiagnosticFormatter {
    public init() {}

    public static let formatVersion = 1

    public struct Document: Codable, Sendable, Hashable {
        public var version: Int
        public var summary: ValidationSummary
        public var diagnostics: [Entry]
    }

    public struct Entry: Codable, Sendable, Hashable {
        public var rule: String
        public var severity: Severity
        public var message: String
        public var file: String
        public var line: Int
        public var column: Int
        public var endColumn: Int
        public var hint: String?

        public init(_ diagnostic: Diagnostic) {
            rule = diagnostic.rule
            severity = diagnostic.severity
            message = diagnostic.message
            file = diagnostic.location.file
            line = diagnostic.location.line
            column = diagnostic.location.column
            endColumn = diagnostic.location.column + diagnostic.length
            hint = diagnostic.hint
        }

        enum CodingKeys: String, CodingKey {
            case rule, severity, message, file, line, column, endColumn, hint
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(rule, forKey: .rule)
            try container.encode(severity, forKey: .severity)
            try container.encode(message, forKey: .message)
            try container.encode(file, forKey: .file)
            try container.encode(line, forKey: .line)
            try container.encode(column, forKey: .column)
            try container.encode(endColumn, forKey: .endColumn)
            if let hint { try container.encode(hint, forKey: .hint) } else { try container.encodeNil(forKey: .hint) }
        }
    }

    public func document(_ report: ValidationReport) -> Document {
        Document(version: Self.formatVersion, summary: report.summary, diagnostics: report.diagnostics.map(Entry.init))
    }

    public func format(_ report: ValidationReport) throws -> String {
        try encodeJSON(document(report))
    }
}

/// Sorted keys, pretty-printed, slashes unescaped, trailing newline.
func encodeJSON(_ value: some Encodable) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    let data = try encoder.encode(value)
    return String(decoding: data, as: UTF8.self) + "\n"
}
