/// Compiler-style output:
///
/// ```
/// tenants/acme/main.flow.yaml:12:11: error: unknown node 'qualfy' [graph.unknown-target]
///     next: qualfy
///           ^~~~~~
///   hint: Did you mean 'qualify'?
/// ```
///
/// followed by the summary line. With `quiet`, only the summary line.
public struct HumanFormatter: DiagnosticFormatter {
    public var colored: Bool
    public var quiet: Bool

    public init(colored: Bool = false, quiet: Bool = false) {
        self.colored = colored
        self.quiet = quiet
    }

    public func format(_ report: ValidationReport) -> String {
        var out = ""
        if !quiet {
            for diagnostic in report.diagnostics {
                out += format(diagnostic, file: report.files[diagnostic.location.file])
            }
        }
        out += summary(report.summary) + "\n"
        return out
    }

    /// One diagnostic: the header line, the quoted source line with its caret line, and the hint.
    public func format(_ diagnostic: Diagnostic, file: SourceFile?) -> String {
        let severityColor: ANSI = switch diagnostic.severity {
        case .error: .red
        case .warning: .yellow
        case .note: .cyan
        }
        var out = paint("\(diagnostic.location):", .bold) + " "
            + paint("\(diagnostic.severity.rawValue):", severityColor, bold: true) + " "
            + paint(diagnostic.message, .bold) + " "
            + paint("[\(diagnostic.rule)]", .dim) + "\n"
        if let file, let line = Self.line(diagnostic.location.line, of: file.text) {
            out += line + "\n"
            out += paint(Self.caretLine(for: line, column: diagnostic.location.column, length: diagnostic.length), .green, bold: true) + "\n"
        }
        if let hint = diagnostic.hint, !hint.isEmpty {
            out += "  " + paint("hint:", .cyan) + " " + hint + "\n"
        }
        return out
    }

    public func summary(_ summary: ValidationSummary) -> String {
        let color: ANSI = summary.errors > 0 ? .red : summary.warnings > 0 ? .yellow : summary.notes > 0 ? .cyan : .green
        return paint(summary.line, color, bold: true)
    }

    /// The text of a 1-based line without its line break (LF or CRLF), or nil when out of range.
    /// Works on UTF-8 bytes: `"\r\n"` is one `Character`, so a character search for `"\n"` misses it.
    static func line(_ number: Int, of text: String) -> String? {
        guard number >= 1 else { return nil }
        let bytes = text.utf8
        var start = bytes.startIndex
        var current = 1
        while current < number {
            guard let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
            start = bytes.index(after: newline)
            current += 1
        }
        var end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
        if end > start, bytes[bytes.index(before: end)] == UInt8(ascii: "\r") { end = bytes.index(before: end) }
        return String(text[start..<end])
    }

    /// `^` under `column` (1-based, in Unicode scalars) and `~` for the rest of `length`, clipped to
    /// the end of the line. Tabs before the column stay tabs so the caret lines up in any tab width.
    public static func caretLine(for line: String, column: Int, length: Int) -> String {
        let scalars = Array(line.unicodeScalars)
        let start = max(0, column - 1)
        var padding = String.UnicodeScalarView()
        for i in 0..<start {
            padding.append(i < scalars.count && scalars[i] == "\t" ? "\t" : " ")
        }
        let available = max(1, scalars.count - start)
        let span = max(1, min(length, available))
        return String(padding) + "^" + String(repeating: "~", count: span - 1)
    }

    enum ANSI: String {
        case bold = "1"
        case dim = "2"
        case red = "31"
        case green = "32"
        case yellow = "33"
        case cyan = "36"
    }

    private func paint(_ text: String, _ color: ANSI, bold: Bool = false) -> String {
        guard colored else { return text }
        let code = bold && color != .bold ? "1;\(color.rawValue)" : color.rawValue
        return "\u{1B}[\(code)m\(text)\u{1B}[0m"
    }
}
