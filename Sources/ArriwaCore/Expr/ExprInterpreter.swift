/// One evaluation: the context and the remaining budget.
struct ExprInterpreter {
    let context: EvaluationContext
    private(set) var remaining: Int

    init(context: EvaluationContext) {
        self.context = context
        self.remaining = context.budget
    }

    mutating func spend(_ units: Int, span: ExprSpan) throws(EvaluationError) {
        guard units > 0 else { return }
        guard remaining >= units else {
            remaining = 0
            throw EvaluationError(message: "evaluation budget exceeded", span: span)
        }
        remaining -= units
    }

    /// Checks the 64 KiB limit for a produced string and charges one unit per 1,024 bytes.
    mutating func produced(_ text: String, span: ExprSpan) throws(EvaluationError) -> Value {
        let bytes = text.utf8.count
        if bytes > Evaluator.maxStringBytes {
            throw EvaluationError(message: "string result is longer than 64 KiB", span: span)
        }
        try spend(bytes / 1_024, span: span)
        return .string(text)
    }

    /// Dispatches to one small function per node kind (keeps the recursive frames small).
    mutating func eval(_ expr: Expr) throws(EvaluationError) -> Value {
        try spend(1, span: expr.span)
        switch expr {
        case .literal(let literal, _): return Self.literal(literal)
        case .identifier, .member, .index: return try evalAccess(expr)
        case .call(let name, let arguments, _, let span): return try call(name, arguments, span: span)
        case .list(let elements, let span): return try evalList(elements, span: span)
        case .map(let entries, _): return try evalMap(entries)
        case .unary(let op, let operand, let span): return try unary(op, try eval(operand), span: span)
        case .binary(let op, let lhs, let rhs, let span): return try binary(op, lhs, rhs, span: span)
        case .conditional(let condition, let then, let otherwise, _):
            return try evalConditional(condition, then, otherwise)
        }
    }

    private static func literal(_ literal: Expr.Literal) -> Value {
        switch literal {
        case .int(let i): return .int(i)
        case .number(let d): return .number(d)
        case .string(let s): return .string(s)
        case .bool(let b): return .bool(b)
        case .null: return .null
        }
    }

    private mutating func evalAccess(_ expr: Expr) throws(EvaluationError) -> Value {
        // `root.key` and `root.a.b` (most paths): asked without building a path array.
        switch expr {
        case .member(.identifier(let root, _), let key, _):
            if let value = context.resolver.value(root, key) { return value }
        case .member(.member(.identifier(let root, _), let a, _), let b, _):
            if let value = context.resolver.value(root, a, b) { return value }
        default:
            break
        }
        if let path = expr.staticPath {
            return try resolve(path, span: expr.span)
        }
        return try access(expr)
    }

    private mutating func evalList(_ elements: [Expr], span: ExprSpan) throws(EvaluationError) -> Value {
        var values: [Value] = []
        values.reserveCapacity(elements.count)
        for element in elements { values.append(try eval(element)) }
        try spend(values.count / 1_024, span: span)
        return .list(values)
    }

    private mutating func evalMap(_ entries: [Expr.MapEntry]) throws(EvaluationError) -> Value {
        var values: [String: Value] = [:]
        for entry in entries {
            guard case .string(let key) = try eval(entry.key) else {
                throw EvaluationError(message: "map keys must be strings", span: entry.key.span)
            }
            if values[key] != nil {
                throw EvaluationError(message: "duplicate map key '\(key)'", span: entry.key.span)
            }
            values[key] = try eval(entry.value)
        }
        return .map(values)
    }

    private mutating func evalConditional(_ condition: Expr, _ then: Expr, _ otherwise: Expr) throws(EvaluationError) -> Value {
        guard case .bool(let flag) = try eval(condition) else {
            throw EvaluationError(message: "the condition before '?' is not a bool", span: condition.span)
        }
        return try eval(flag ? then : otherwise)
    }

    // MARK: - Paths

    /// Resolves a static path: the resolver is asked for the longest prefix it knows, the rest is
    /// walked through maps and lists.
    mutating func resolve(_ path: [String], span: ExprSpan) throws(EvaluationError) -> Value {
        switch lookUp(path) {
        case .success(let value):
            return value
        case .failure(let message):
            throw EvaluationError(message: message, span: span)
        }
    }

    /// Like `resolve`, but nil instead of an error (for `has` and `default`).
    func resolveIfPresent(_ path: [String]) -> Value? {
        if case .success(let value) = lookUp(path) { return value }
        return nil
    }

    private enum LookUp {
        case success(Value)
        case failure(String)
    }

    private func lookUp(_ path: [String]) -> LookUp {
        for length in stride(from: path.count, through: 1, by: -1) {
            guard var value = context.resolver.value(of: length == path.count ? path : Array(path.prefix(length))) else { continue }
            for position in length..<path.count {
                let component = path[position]
                let here = ExprPath.display(Array(path.prefix(position)))
                switch value {
                case .map(let entries):
                    guard let next = entries[component] else {
                        return .failure("unknown path '\(ExprPath.display(path))': '\(here)' has no key '\(component)'")
                    }
                    value = next
                case .list(let elements):
                    guard let index = Int(component), elements.indices.contains(index) else {
                        return .failure("index \(component) is out of range for '\(here)' (\(elements.count) elements)")
                    }
                    value = elements[index]
                default:
                    return .failure("unknown path '\(ExprPath.display(path))': '\(here)' is \(value.typeName)")
                }
            }
            return .success(value)
        }
        return .failure("unknown path '\(ExprPath.display(path))'")
    }

    /// Member access or indexing on a computed value.
    private mutating func access(_ expr: Expr) throws(EvaluationError) -> Value {
        switch expr {
        case .member(let base, let name, let span):
            let value = try eval(base)
            guard case .map(let entries) = value else {
                throw EvaluationError(message: "cannot read field '\(name)' of a \(value.typeName)", span: span)
            }
            guard let field = entries[name] else {
                throw EvaluationError(message: "no key '\(name)' in map", span: span)
            }
            return field
        case .index(let base, let index, let span):
            let container = try eval(base)
            let key = try eval(index)
            switch (container, key) {
            case (.list(let elements), .int(let i)):
                guard i >= 0, i < Int64(elements.count) else {
                    throw EvaluationError(message: "index \(i) is out of range (\(elements.count) elements)", span: span)
                }
                return elements[Int(i)]
            case (.map(let entries), .string(let k)):
                guard let value = entries[k] else {
                    throw EvaluationError(message: "no key '\(k)' in map", span: span)
                }
                return value
            default:
                throw EvaluationError(message: "cannot index a \(container.typeName) with a \(key.typeName)", span: span)
            }
        default:
            throw EvaluationError(message: "not an access expression", span: expr.span)
        }
    }
}
