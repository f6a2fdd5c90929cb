/// The static type of an expression or a path.
public indirect enum ExprType: Sendable, Hashable, CustomStringConvertible {
    case string, int, number, bool, duration, timestamp, null, any
    case list(ExprType)
    case map(ExprType)
    /// A fixed set of fields, e.g. a classification result.
    case record([String: ExprType])
    /// A string whose allowed values are known (e.g. the option ids of a manifest step); `values` sorted.
    case enumeration(name: String, values: [String])

    /// An enumeration with its values sorted and de-duplicated.
    public static func makeEnumeration(name: String, values: some Sequence<String>) -> ExprType {
        .enumeration(name: name, values: Array(Set(values)).sorted())
    }

    /// `int` is assignable to `number`; `enumeration` to `string` (and to an enumeration with a
    /// superset of its values); `any` is compatible with everything; `null` is assignable to anything.
    /// Lists and maps are covariant; a record is assignable to a record whose fields it has
    /// (with assignable types), and to a map whose value type all its fields are assignable to.
    public func isAssignable(to other: ExprType) -> Bool {
        if self == other { return true }
        switch (self, other) {
        case (.any, _), (_, .any), (.null, _):
            return true
        case (.int, .number), (.enumeration, .string):
            return true
        case (.enumeration(_, let mine), .enumeration(_, let theirs)):
            return Set(mine).isSubset(of: Set(theirs))
        case (.list(let mine), .list(let theirs)), (.map(let mine), .map(let theirs)):
            return mine.isAssignable(to: theirs)
        case (.record(let mine), .record(let theirs)):
            return theirs.allSatisfy { name, type in mine[name]?.isAssignable(to: type) ?? false }
        case (.record(let mine), .map(let value)):
            return mine.values.allSatisfy { $0.isAssignable(to: value) }
        default:
            return false
        }
    }

    public var description: String {
        switch self {
        case .string: return "string"
        case .int: return "int"
        case .number: return "number"
        case .bool: return "bool"
        case .duration: return "duration"
        case .timestamp: return "timestamp"
        case .null: return "null"
        case .any: return "any"
        case .list(let element): return "list<\(element)>"
        case .map(let value): return "map<\(value)>"
        case .record(let fields):
            let body = fields.keys.sorted().map { "\($0): \(fields[$0].map(\.description) ?? "")" }
            return "{" + body.joined(separator: ", ") + "}"
        case .enumeration(let name, let values):
            return name.isEmpty ? "one of " + values.joined(separator: "|") : name
        }
    }

    // MARK: - Helpers for the checker

    var isNumeric: Bool { self == .int || self == .number }

    var isStringLike: Bool {
        switch self {
        case .string, .enumeration: return true
        default: return false
        }
    }

    /// The most specific type both `a` and `b` are assignable to, or nil if there is none short of `any`.
    static func unify(_ a: ExprType, _ b: ExprType) -> ExprType? {
        if a == b { return a }
        switch (a, b) {
        case (.any, _), (_, .any): return .any
        case (.null, let other), (let other, .null): return other
        case (.int, .number), (.number, .int): return .number
        case (.enumeration, .enumeration), (.enumeration, .string), (.string, .enumeration): return .string
        case (.list(let x), .list(let y)): return unify(x, y).map { .list($0) }
        case (.map(let x), .map(let y)): return unify(x, y).map { .map($0) }
        default:
            if a.isAssignable(to: b) { return b }
            if b.isAssignable(to: a) { return a }
            return nil
        }
    }

    /// The type of `self.component` / `self[component]` for a literal component, or nil.
    func member(_ component: String) -> ExprType? {
        switch self {
        case .any: return .any
        case .record(let fields): return fields[component]
        case .map(let value): return value
        case .list(let element):
            guard let index = Int(component), index >= 0 else { return nil }
            return element
        default: return nil
        }
    }
}
