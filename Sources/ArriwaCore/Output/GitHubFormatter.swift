/// GitHub Actions workflow commands, one per finding, then the summary line:
///
/// ```
/// ::error file=acme/main.flow.yaml,line=12,col=11,endColumn=17,title=graph.unknown-target::unknown node 'qualfy'
/// ```
///
/// Errors become `::error`, warnings `::warning`, notes `::notice`. A hint is appended to the
/// message on a second line.
public struct GitHubFormatter: DiagnosticFormatter {
    public init() {}

    public func format(_ report: ValidationReport) -> String {
        var out = ""
        for diagnostic in report.diagnostics {
            out += command(diagnostic) + "\n"
        }
        out += report.summary.line + "\n"
        return out
    }

    public func command(_ d: Diagnostic) -> String {
        let name = switch d.severity {
        case .error: "error"
        case .warning: "warning"
        case .note: "notice"
        }
        let properties = [
            ("file", d.location.file),
            ("line", String(d.location.line)),
            ("col", String(d.location.column)),
            ("endColumn", String(d.location.column + d.length)),
            ("title", d.rule),
        ].map { "\($0)=\(Self.escapeProperty($1))" }.joined(separator: ",")
        var message = d.message
        if let hint = d.hint, !hint.isEmpty { message += "\nhint: \(hint)" }
        return "::\(name) \(properties)::\(Self.escapeData(message))"
    }

    /// `%`, CR and LF in a command's message.
    public static func escapeData(_ text: String) -> String { escape(text, alsoSeparators: false) }

    /// `%`, CR, LF, `:` and `,` in a command's property values.
    public static func escapeProperty(_ text: String) -> String { escape(text, alsoSeparators: true) }

    private static func escape(_ text: String, alsoSeparators: Bool) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "%": out += "%25"
            case "\r": out += "%0D"
            case "\n": out += "%0A"
            case ":" where alsoSeparators: out += "%3A"
            case "," where alsoSeparators: out += "%2C"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
