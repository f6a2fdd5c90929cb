/// A YAML node with its source position: the loader's own Sendable tree, converted once from
/// Yams' node so the rest of the code never resolves tags or loses a position.
public indirect enum YNode: Sendable, Hashable {
    case scalar(YScalar)
    case mapping(YMapping)
    case sequence(YSequence)

    public var location: SourceLocation {
        switch self {
        case .scalar(let s): s.location
        case .mapping(let m): m.location
        case .sequence(let s): s.location
        }
    }

    public var scalar: YScalar? { if case .scalar(let s) = self { s } else { nil } }
    public var mapping: YMapping? { if case .mapping(let m) = self { m } else { nil } }
    public var sequence: YSequence? { if case .sequence(let s) = self { s } else { nil } }

    /// The scalar's text when this is a string-like scalar (not null), else nil.
    public var string: String? {
        guard let s = scalar, !s.isNull else { return nil }
        return s.text
    }

    /// What a reader calls this kind of node in messages.
    public var kindName: String {
        switch self {
        case .scalar(let s):
            if s.isNull { return "null" }
            if s.boolValue != nil { return "boolean" }
            if s.intValue != nil { return "integer" }
            if s.doubleValue != nil { return "number" }
            return "string"
        case .mapping: return "mapping"
        case .sequence: return "list"
        }
    }
}

public struct YScalar: Sendable, Hashable {
    public enum Style: Sendable, Hashable { case plain, singleQuoted, doubleQuoted, literal, folded }
    public var text: String
    public var style: Style
    public var location: SourceLocation

    public init(text: String, style: Style, location: SourceLocation) {
        self.text = text
        self.style = style
        self.location = location
    }

    /// YAML 1.2 core-schema typing, only for plain (unquoted) scalars.
    public var isNull: Bool { style == .plain && (text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL") }
    public var boolValue: Bool? {
        guard style == .plain else { return nil }
        switch text {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: return nil
        }
    }
    public var intValue: Int? {
        guard style == .plain else { return nil }
        var digits = Substring(text)
        if digits.first == "+" { digits = digits.dropFirst() }
        return Int(digits.replacingOccurrences(of: "_", with: ""))
    }
    public var doubleValue: Double? {
        guard style == .plain, let first = text.first, first.isNumber || first == "-" || first == "+" || first == "." else { return nil }
        return Double(text)
    }

    /// Where the first character of the value (inside any quotes) is, when that can be told
    /// exactly: single-line plain and quoted scalars. Block scalars point at their indicator.
    public var contentLocation: SourceLocation {
        switch style {
        case .singleQuoted, .doubleQuoted: location.advanced(by: 1)
        default: location
        }
    }

    /// The source location of the character at `offset` (in Characters) inside the value, when
    /// it can be mapped exactly; otherwise the start of the scalar.
    public func location(atOffset offset: Int) -> SourceLocation {
        switch style {
        case .plain, .singleQuoted, .doubleQuoted:
            guard !text.containsByte("\n") else { return location }
            if style == .singleQuoted && text.containsByte("'") { return contentLocation }
            if style == .doubleQuoted && (text.containsByte("\\") || text.containsByte("\"")) { return contentLocation }
            let prefix = text.prefix(max(0, offset))
            return contentLocation.advanced(by: prefix.unicodeScalars.count)
        case .literal, .folded:
            return location
        }
    }
}

public struct YMapping: Sendable, Hashable {
    public struct Pair: Sendable, Hashable {
        public var key: YScalar
        public var value: YNode
    }
    public var pairs: [Pair]
    public var location: SourceLocation

    public subscript(key: String) -> YNode? {
        pairs.first { $0.key.text == key }?.value
    }

    public func pair(_ key: String) -> Pair? {
        pairs.first { $0.key.text == key }
    }

    public var keys: [String] { pairs.map(\.key.text) }
}

public struct YSequence: Sendable, Hashable {
    public var items: [YNode]
    public var location: SourceLocation
}
