/// Infers expression types against a `TypeEnvironment` and reports issues. Never throws; a
/// sub-expression with an issue gets type `any` so that one mistake is reported once.
public struct TypeChecker: Sendable {
    public let environment: any TypeEnvironment

    public init(environment: any TypeEnvironment) {
        self.environment = environment
    }

    /// Infers the type and returns the issues. `expected` (e.g. `.bool` for a condition) adds a
    /// `typeMismatch` if the inferred type is not assignable to it; a string literal where an
    /// enumeration is expected is checked against its values (`unknownOption`).
    public func check(_ expr: Expr, expected: ExprType? = nil) -> (type: ExprType, issues: [ExprIssue]) {
        var issues: [ExprIssue] = []
        let type = infer(expr, &issues)
        if let expected {
            if case .enumeration = expected, case .literal(.string(let value), let span) = expr {
                checkOption(value, span: span, against: expected, &issues)
            } else if !type.isAssignable(to: expected) {
                issues.append(ExprIssue(
                    code: .typeMismatch, message: "expected \(expected), found \(type)", span: expr.span))
            }
        }
        return (type, issues)
    }

    /// Checks each interpolated expression; lists, maps and records cannot be interpolated.
    public func check(_ template: Template) -> [ExprIssue] {
        var issues: [ExprIssue] = []
        for expr in template.expressions {
            let (type, exprIssues) = check(expr)
            issues += exprIssues
            switch type {
            case .list:
                issues.append(ExprIssue(
                    code: .typeMismatch, message: "cannot insert a \(type) into text", span: expr.span,
                    hint: "use join(list, ', ')"))
            case .map, .record:
                issues.append(ExprIssue(
                    code: .typeMismatch, message: "cannot insert a \(type) into text", span: expr.span,
                    hint: "insert one of its fields"))
            default:
                break
            }
        }
        return issues
    }

    // MARK: - Inference

    func infer(_ expr: Expr, _ issues: inout [ExprIssue]) -> ExprType {
        switch expr {
        case .literal(let literal, _):
            switch literal {
            case .int: return .int
            case .number: return .number
            case .string: return .string
            case .bool: return .bool
            case .null: return .null
            }
        case .identifier, .member, .index:
            if let path = expr.staticPath {
                if case .index(let base, let index, _) = expr {
                    let before = issues.count
                    let baseType = infer(base, &issues)
                    if issues.count > before || !literalIndexFits(index, in: baseType, &issues) { return .any }
                }
                return resolve(path, span: expr.span, &issues)
            }
            return inferAccess(expr, &issues)
        case .call(let name, let arguments, let receiverStyle, let span):
            return inferCall(name: name, arguments: arguments, receiverStyle: receiverStyle, span: span, &issues)
        case .list(let elements, _):
            var elementType: ExprType?
            for element in elements {
                let type = infer(element, &issues)
                elementType = elementType.map { ExprType.unify($0, type) ?? .any } ?? type
            }
            return .list(elementType ?? .any)
        case .map(let entries, _):
            var valueType: ExprType?
            for entry in entries {
                let keyType = infer(entry.key, &issues)
                if !keyType.isAssignable(to: .string) {
                    issues.append(ExprIssue(
                        code: .typeMismatch, message: "map keys must be strings, found \(keyType)", span: entry.key.span))
                }
                let type = infer(entry.value, &issues)
                valueType = valueType.map { ExprType.unify($0, type) ?? .any } ?? type
            }
            return .map(valueType ?? .any)
        case .unary(let op, let operand, let span):
            let type = infer(operand, &issues)
            switch op {
            case .not:
                if type == .bool || type == .any { return .bool }
                issues.append(ExprIssue(code: .typeMismatch, message: "'!' needs a bool, found \(type)", span: span))
                return .bool
            case .negate:
                switch type {
                case .int, .number, .duration, .any: return type
                default:
                    issues.append(ExprIssue(
                        code: .typeMismatch, message: "'-' needs a number or a duration, found \(type)", span: span))
                    return .any
                }
            }
        case .binary(let op, let lhs, let rhs, let span):
            return inferBinary(op, lhs, rhs, span: span, &issues)
        case .conditional(let condition, let then, let otherwise, _):
            let conditionType = infer(condition, &issues)
            if conditionType != .bool && conditionType != .any {
                issues.append(ExprIssue(
                    code: .typeMismatch, message: "the condition before '?' must be a bool, found \(conditionType)",
                    span: condition.span))
            }
            let a = infer(then, &issues)
            let b = infer(otherwise, &issues)
            if let unified = ExprType.unify(a, b) { return unified }
            issues.append(ExprIssue(
                code: .typeMismatch, message: "the branches of '?:' have different types: \(a) and \(b)",
                span: expr.span))
            return .any
        }
    }

    /// Looks a static path up in the environment; unknown → `undeclared` with a hint.
    func resolve(_ path: [String], span: ExprSpan, _ issues: inout [ExprIssue]) -> ExprType {
        if let type = environment.type(of: path) { return type }
        let name = ExprPath.display(path)
        var hint: String?
        var message = "'\(name)' is not declared"
        for length in stride(from: path.count - 1, through: 1, by: -1) {
            let prefix = Array(path.prefix(length))
            guard let parent = environment.type(of: prefix) else { continue }
            let prefixName = ExprPath.display(prefix)
            let missing = path[length]
            switch parent {
            case .record(let fields):
                message = "'\(prefixName)' has no field '\(missing)'"
                if let suggestion = ExprSuggestion.closest(to: missing, in: fields.keys.sorted()) {
                    hint = "did you mean '\(ExprPath.display(prefix + [suggestion]))'?"
                } else {
                    hint = "fields: " + fields.keys.sorted().joined(separator: ", ")
                }
            default:
                message = "'\(prefixName)' is a \(parent) and has no field '\(missing)'"
                if let builtin = ExprBuiltin(rawValue: missing), builtin.allowsReceiver {
                    hint = "did you mean \(prefixName).\(missing)()?"
                }
                issues.append(ExprIssue(code: .typeMismatch, message: message, span: span, hint: hint))
                return .any
            }
            issues.append(ExprIssue(code: .undeclared, message: message, span: span, hint: hint))
            return .any
        }
        if let suggestion = ExprSuggestion.closest(to: path[0], in: environment.rootNames) {
            hint = "did you mean '\(suggestion)'?"
        }
        issues.append(ExprIssue(code: .undeclared, message: message, span: span, hint: hint))
        return .any
    }

    /// For `base[literal]`: the literal's kind must suit the container (int for lists, string for maps).
    private func literalIndexFits(_ index: Expr, in container: ExprType, _ issues: inout [ExprIssue]) -> Bool {
        let isInt: Bool
        switch index {
        case .literal(.int, _): isInt = true
        default: isInt = false
        }
        switch container {
        case .any:
            return true
        case .list:
            if isInt { return true }
            issues.append(ExprIssue(code: .typeMismatch, message: "a list index must be an int, found string", span: index.span))
        case .map, .record:
            if !isInt { return true }
            issues.append(ExprIssue(code: .typeMismatch, message: "a map key must be a string, found int", span: index.span))
        default:
            issues.append(ExprIssue(code: .typeMismatch, message: "cannot index a \(container)", span: index.span))
        }
        return false
    }

    /// Member access or indexing on something that is not a static path.
    private func inferAccess(_ expr: Expr, _ issues: inout [ExprIssue]) -> ExprType {
        switch expr {
        case .member(let base, let name, let span):
            let baseType = infer(base, &issues)
            if let type = baseType.member(name), !(baseType.isList) { return type }
            issues.append(ExprIssue(code: .typeMismatch, message: "\(baseType) has no field '\(name)'", span: span))
            return .any
        case .index(let base, let index, let span):
            let baseType = infer(base, &issues)
            let indexType = infer(index, &issues)
            switch baseType {
            case .any:
                return .any
            case .list(let element):
                if indexType.isAssignable(to: .int) { return element }
                issues.append(ExprIssue(
                    code: .typeMismatch, message: "a list index must be an int, found \(indexType)", span: index.span))
                return .any
            case .map(let value):
                if indexType.isAssignable(to: .string) { return value }
                issues.append(ExprIssue(
                    code: .typeMismatch, message: "a map key must be a string, found \(indexType)", span: index.span))
                return .any
            case .record(let fields):
                if case .literal(.string(let key), _) = index {
                    if let type = fields[key] { return type }
                    issues.append(ExprIssue(code: .typeMismatch, message: "\(baseType) has no field '\(key)'", span: span))
                    return .any
                }
                if !indexType.isAssignable(to: .string) {
                    issues.append(ExprIssue(
                        code: .typeMismatch, message: "a field name must be a string, found \(indexType)", span: index.span))
                }
                return .any
            default:
                issues.append(ExprIssue(code: .typeMismatch, message: "cannot index a \(baseType)", span: span))
                return .any
            }
        default:
            return .any
        }
    }

    /// `unknownOption` if `value` is not one of the enumeration's values.
    func checkOption(_ value: String, span: ExprSpan, against type: ExprType, _ issues: inout [ExprIssue]) {
        guard case .enumeration(let name, let values) = type, !values.contains(value) else { return }
        let suggestion = ExprSuggestion.closest(to: value, in: values)
        issues.append(ExprIssue(
            code: .unknownOption,
            message: "'\(value)' is not a \(name.isEmpty ? "known option" : name); allowed: \(values.joined(separator: ", "))",
            span: span,
            hint: suggestion.map { "did you mean '\($0)'?" }))
    }
}

extension ExprType {
    var isList: Bool {
        if case .list = self { return true }
        return false
    }
}
