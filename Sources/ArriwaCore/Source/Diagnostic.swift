/// How serious a finding is. Ordered: `note < warning < error`.
public enum Severity: String, Sendable, Hashable, Comparable, CaseIterable, Codable {
    case note
    case warning
    case error

    private var rank: Int {
        switch self {
        case .note: 0
        case .warning: 1
        case .error: 2
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// One finding of the loader or the validator, at an exact position.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    /// Stable rule id, e.g. `graph.unknown-target`. See `Rules`.
    public var rule: String
    public var severity: Severity
    public var message: String
    public var location: SourceLocation
    /// How many columns the caret underline spans (at least 1).
    public var length: Int
    /// A suggestion for fixing it, when there is one.
    public var hint: String?

    public init(
        rule: String, severity: Severity? = nil, message: String,
        at location: SourceLocation, length: Int = 1, hint: String? = nil
    ) {
        self.rule = rule
        self.severity = severity ?? Rules.byID[rule]?.severity ?? .error
        self.message = message
        self.location = location
        self.length = max(1, length)
        self.hint = hint
    }

    public var description: String {
        "\(location): \(severity.rawValue): \(message) [\(rule)]"
    }

    /// Sort order for output: by file, line, column, then rule id.
    public static func ordered(_ lhs: Diagnostic, _ rhs: Diagnostic) -> Bool {
        if lhs.location != rhs.location { return lhs.location < rhs.location }
        return lhs.rule < rhs.rule
    }
}
