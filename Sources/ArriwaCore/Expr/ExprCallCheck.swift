import Foundation

/// Argument checks for one call of a built-in.
struct ExprCallCheck {
    let builtin: ExprBuiltin
    let arguments: [Expr]
    let types: [ExprType]
    var issues: [ExprIssue] = []

    init(builtin: ExprBuiltin, arguments: [Expr], types: [ExprType]) {
        self.builtin = builtin
        self.arguments = arguments
        self.types = types
    }

    /// Checks argument `i` with `accepts` (`any` always passes); reports a `functionArguments` issue.
    @discardableResult
    private mutating func require(_ i: Int, _ what: String, _ accepts: (ExprType) -> Bool) -> Bool {
        if types[i] == .any || accepts(types[i]) { return true }
        let position = arguments.count > 1 ? " as argument \(i + 1)" : ""
        issues.append(ExprIssue(
            code: .functionArguments,
            message: "\(builtin.rawValue)() expects \(what)\(position), found \(types[i])",
            span: arguments[i].span, hint: builtin.signature))
        return false
    }

    private mutating func requireString(_ i: Int) { require(i, "a string") { $0.isStringLike } }

    private mutating func literalString(_ i: Int) -> (String, ExprSpan)? {
        if case .literal(.string(let text), let span) = arguments[i] { return (text, span) }
        return nil
    }

    mutating func resultType() -> ExprType {
        switch builtin {
        case .size:
            require(0, "a string, list or map") {
                switch $0 {
                case .string, .enumeration, .list, .map, .record: return true
                default: return false
                }
            }
            return .int
        case .lower, .upper, .trim:
            requireString(0)
            return .string
        case .contains, .startsWith, .endsWith:
            requireString(0)
            requireString(1)
            return .bool
        case .matches:
            requireString(0)
            requireString(1)
            if let (pattern, span) = literalString(1) {
                do {
                    _ = try NSRegularExpression(pattern: pattern)
                    if ExprRegexLint.hasNestedRepetition(pattern) {
                        issues.append(ExprIssue(
                            code: .functionArguments,
                            message: "regular expression '\(pattern)' repeats a group that itself repeats; it can take exponential time on some messages",
                            span: span, hint: "remove the inner or the outer repetition, e.g. (ab)+ or (a|b)+"))
                    }
                } catch {
                    issues.append(ExprIssue(
                        code: .functionArguments, message: "invalid regular expression '\(pattern)'", span: span))
                }
            }
            return .bool
        case .now:
            return .timestamp
        case .duration:
            requireString(0)
            if let (text, span) = literalString(0), ExprDuration.parse(text) == nil {
                issues.append(ExprIssue(
                    code: .functionArguments, message: "invalid duration '\(text)'", span: span,
                    hint: "use e.g. 500ms, 90s, 15m, 1h30m, 2d"))
            }
            return .duration
        case .hash, .string:
            return .string
        case .int:
            require(0, "a number, string, duration or timestamp") {
                $0.isNumeric || $0.isStringLike || $0 == .duration || $0 == .timestamp
            }
            return .int
        case .number:
            require(0, "a number or string") { $0.isNumeric || $0.isStringLike }
            return .number
        case .min, .max:
            let a = types[0], b = types[1]
            let ok: (ExprType) -> Bool = { $0.isNumeric || $0 == .duration || $0 == .timestamp }
            guard require(0, "a number, duration or timestamp", ok), require(1, "a number, duration or timestamp", ok) else {
                return .any
            }
            if a == .any || b == .any { return .any }
            if a.isNumeric && b.isNumeric { return a == .int && b == .int ? .int : .number }
            if a == b { return a }
            issues.append(ExprIssue(
                code: .functionArguments, message: "\(builtin.rawValue)() needs two arguments of the same kind, found \(a) and \(b)",
                span: arguments[1].span, hint: builtin.signature))
            return .any
        case .abs:
            require(0, "a number or duration") { $0.isNumeric || $0 == .duration }
            return types[0]
        case .default:
            let a = types[0], b = types[1]
            if let unified = ExprType.unify(a, b) { return unified }
            issues.append(ExprIssue(
                code: .functionArguments, message: "default() fallback is \(b) but the value is \(a)",
                span: arguments[1].span, hint: builtin.signature))
            return .any
        case .join:
            require(0, "a list of strings") {
                if case .list(let element) = $0 { return element == .any || element.isStringLike }
                return false
            }
            requireString(1)
            return .string
        case .formatDuration:
            require(0, "a duration") { $0 == .duration }
            return .string
        case .has:
            return .bool
        case .nextStep:
            requireString(0)
            requireString(1)
            // The caller's environment types `manifest.first` as the step enumeration.
            return .any
        }
    }
}
