extension ExprInterpreter {
    func unary(_ op: Expr.UnaryOperator, _ value: Value, span: ExprSpan) throws(EvaluationError) -> Value {
        switch (op, value) {
        case (.not, .bool(let b)):
            return .bool(!b)
        case (.negate, .int(let i)):
            let (result, overflow) = Int64(0).subtractingReportingOverflow(i)
            if overflow { throw EvaluationError(message: "integer overflow", span: span) }
            return .int(result)
        case (.negate, .number(let d)):
            return .number(-d)
        case (.negate, .duration(let ms)):
            let (result, overflow) = Int64(0).subtractingReportingOverflow(ms)
            if overflow { throw EvaluationError(message: "duration overflow", span: span) }
            return .duration(result)
        default:
            throw EvaluationError(message: "cannot apply '\(op.rawValue)' to a \(value.typeName)", span: span)
        }
    }

    mutating func binary(_ op: Expr.BinaryOperator, _ lhs: Expr, _ rhs: Expr, span: ExprSpan) throws(EvaluationError) -> Value {
        if op == .and || op == .or {
            guard case .bool(let left) = try eval(lhs) else {
                throw EvaluationError(message: "'\(op.rawValue)' needs bool operands", span: lhs.span)
            }
            if op == .and && !left { return .bool(false) }
            if op == .or && left { return .bool(true) }
            guard case .bool(let right) = try eval(rhs) else {
                throw EvaluationError(message: "'\(op.rawValue)' needs bool operands", span: rhs.span)
            }
            return .bool(right)
        }
        let l = try eval(lhs)
        let r = try eval(rhs)
        switch op {
        case .equal: return .bool(Self.equal(l, r))
        case .notEqual: return .bool(!Self.equal(l, r))
        case .less, .lessEqual, .greater, .greaterEqual:
            guard let order = Self.compare(l, r) else {
                throw EvaluationError(message: "cannot order a \(l.typeName) and a \(r.typeName)", span: span)
            }
            switch op {
            case .less: return .bool(order < 0)
            case .lessEqual: return .bool(order <= 0)
            case .greater: return .bool(order > 0)
            default: return .bool(order >= 0)
            }
        case .in:
            return .bool(try contains(r, l, span: span))
        default:
            return try arithmetic(op, l, r, span: span)
        }
    }

    /// Equality: ints and numbers compare numerically; lists and maps element-wise; other kinds
    /// are equal only to the same kind.
    static func equal(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.int(let x), .number(let y)), (.number(let y), .int(let x)):
            return Double(x) == y
        case (.list(let x), .list(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case (.map(let x), .map(let y)):
            return x.count == y.count && x.allSatisfy { key, value in y[key].map { equal(value, $0) } ?? false }
        default:
            return a == b
        }
    }

    /// -1, 0, 1, or nil when the values cannot be ordered.
    static func compare(_ a: Value, _ b: Value) -> Int? {
        func order<T: Comparable>(_ x: T, _ y: T) -> Int { x < y ? -1 : (x == y ? 0 : 1) }
        switch (a, b) {
        case (.int(let x), .int(let y)): return order(x, y)
        case (.int(let x), .number(let y)): return y.isNaN ? nil : order(Double(x), y)
        case (.number(let x), .int(let y)): return x.isNaN ? nil : order(x, Double(y))
        case (.number(let x), .number(let y)): return x.isNaN || y.isNaN ? nil : order(x, y)
        case (.string(let x), .string(let y)): return order(x, y)
        case (.duration(let x), .duration(let y)): return order(x, y)
        case (.timestamp(let x), .timestamp(let y)): return order(x, y)
        default: return nil
        }
    }

    private func contains(_ container: Value, _ element: Value, span: ExprSpan) throws(EvaluationError) -> Bool {
        switch (container, element) {
        case (.list(let elements), _):
            return elements.contains { Self.equal($0, element) }
        case (.map(let entries), .string(let key)):
            return entries[key] != nil
        case (.string(let text), .string(let part)):
            return part.isEmpty || text.contains(part)
        default:
            throw EvaluationError(message: "cannot look for a \(element.typeName) in a \(container.typeName)", span: span)
        }
    }

    private static func checked(_ result: (partialValue: Int64, overflow: Bool), _ what: String, span: ExprSpan) throws(EvaluationError) -> Int64 {
        if result.overflow { throw EvaluationError(message: "\(what) overflow", span: span) }
        return result.partialValue
    }

    private static func finite(_ d: Double, span: ExprSpan) throws(EvaluationError) -> Value {
        guard d.isFinite else { throw EvaluationError(message: "number result is not finite", span: span) }
        return .number(d)
    }

    private static func double(_ v: Value) -> Double? {
        switch v {
        case .int(let i): return Double(i)
        case .number(let d): return d
        default: return nil
        }
    }

    mutating func arithmetic(_ op: Expr.BinaryOperator, _ l: Value, _ r: Value, span: ExprSpan) throws(EvaluationError) -> Value {
        switch (op, l, r) {
        case (.add, .int(let x), .int(let y)):
            return .int(try Self.checked(x.addingReportingOverflow(y), "integer", span: span))
        case (.subtract, .int(let x), .int(let y)):
            return .int(try Self.checked(x.subtractingReportingOverflow(y), "integer", span: span))
        case (.multiply, .int(let x), .int(let y)):
            return .int(try Self.checked(x.multipliedReportingOverflow(by: y), "integer", span: span))
        case (.divide, .int(let x), .int(let y)):
            if y == 0 { throw EvaluationError(message: "division by zero", span: span) }
            return .int(try Self.checked(x.dividedReportingOverflow(by: y), "integer", span: span))
        case (.remainder, .int(let x), .int(let y)):
            if y == 0 { throw EvaluationError(message: "division by zero", span: span) }
            return .int(try Self.checked(x.remainderReportingOverflow(dividingBy: y), "integer", span: span))
        case (.add, .string(let x), .string(let y)):
            if x.utf8.count + y.utf8.count > Evaluator.maxStringBytes {
                throw EvaluationError(message: "string result is longer than 64 KiB", span: span)
            }
            return try produced(x + y, span: span)
        case (.add, .list(let x), .list(let y)):
            try spend((x.count + y.count) / 1_024, span: span)
            return .list(x + y)
        case (.add, .timestamp(let t), .duration(let d)), (.add, .duration(let d), .timestamp(let t)):
            return .timestamp(try Self.checked(t.addingReportingOverflow(d), "timestamp", span: span))
        case (.subtract, .timestamp(let t), .duration(let d)):
            return .timestamp(try Self.checked(t.subtractingReportingOverflow(d), "timestamp", span: span))
        case (.subtract, .timestamp(let a), .timestamp(let b)):
            return .duration(try Self.checked(a.subtractingReportingOverflow(b), "duration", span: span))
        case (.add, .duration(let a), .duration(let b)):
            return .duration(try Self.checked(a.addingReportingOverflow(b), "duration", span: span))
        case (.subtract, .duration(let a), .duration(let b)):
            return .duration(try Self.checked(a.subtractingReportingOverflow(b), "duration", span: span))
        case (.multiply, .duration(let d), .int(let n)), (.multiply, .int(let n), .duration(let d)):
            return .duration(try Self.checked(d.multipliedReportingOverflow(by: n), "duration", span: span))
        case (.divide, .duration(let d), .int(let n)):
            if n == 0 { throw EvaluationError(message: "division by zero", span: span) }
            return .duration(try Self.checked(d.dividedReportingOverflow(by: n), "duration", span: span))
        default:
            guard let x = Self.double(l), let y = Self.double(r) else {
                throw EvaluationError(message: "cannot apply '\(op.rawValue)' to a \(l.typeName) and a \(r.typeName)", span: span)
            }
            switch op {
            case .add: return try Self.finite(x + y, span: span)
            case .subtract: return try Self.finite(x - y, span: span)
            case .multiply: return try Self.finite(x * y, span: span)
            case .divide:
                if y == 0 { throw EvaluationError(message: "division by zero", span: span) }
                return try Self.finite(x / y, span: span)
            case .remainder:
                if y == 0 { throw EvaluationError(message: "division by zero", span: span) }
                return try Self.finite(x.truncatingRemainder(dividingBy: y), span: span)
            default:
                throw EvaluationError(message: "cannot apply '\(op.rawValue)'", span: span)
            }
        }
    }
}
