extension TypeChecker {
    func inferBinary(
        _ op: Expr.BinaryOperator, _ lhs: Expr, _ rhs: Expr, span: ExprSpan, _ issues: inout [ExprIssue]
    ) -> ExprType {
        let l = infer(lhs, &issues)
        let r = infer(rhs, &issues)
        switch op {
        case .and, .or:
            for (side, type) in [(lhs, l), (rhs, r)] where type != .bool && type != .any {
                issues.append(ExprIssue(
                    code: .typeMismatch, message: "'\(op.rawValue)' needs bool operands, found \(type)", span: side.span))
            }
            return .bool
        case .equal, .notEqual:
            if ExprType.unify(l, r) == nil {
                issues.append(ExprIssue(
                    code: .typeMismatch, message: "cannot compare \(l) with \(r) using '\(op.rawValue)'", span: span,
                    hint: mismatchHint(lhs, l, rhs, r)))
            } else {
                if case .literal(.string(let value), let literalSpan) = rhs { checkOption(value, span: literalSpan, against: l, &issues) }
                if case .literal(.string(let value), let literalSpan) = lhs { checkOption(value, span: literalSpan, against: r, &issues) }
            }
            return .bool
        case .less, .lessEqual, .greater, .greaterEqual:
            if !Self.orderable(l, r) {
                issues.append(ExprIssue(
                    code: .typeMismatch, message: "cannot order \(l) and \(r) with '\(op.rawValue)'", span: span,
                    hint: mismatchHint(lhs, l, rhs, r)))
            }
            return .bool
        case .in:
            checkIn(lhs, l, rhs, r, span: span, &issues)
            return .bool
        case .add, .subtract, .multiply, .divide, .remainder:
            if let type = Self.arithmetic(op, l, r) { return type }
            issues.append(ExprIssue(
                code: .typeMismatch, message: "cannot apply '\(op.rawValue)' to \(l) and \(r)", span: span,
                hint: mismatchHint(lhs, l, rhs, r)))
            return .any
        }
    }

    private func mismatchHint(_ lhs: Expr, _ l: ExprType, _ rhs: Expr, _ r: ExprType) -> String? {
        if let path = lhs.staticPath, l != .any { return "'\(ExprPath.display(path))' is \(l)" }
        if let path = rhs.staticPath, r != .any { return "'\(ExprPath.display(path))' is \(r)" }
        return nil
    }

    private func checkIn(
        _ lhs: Expr, _ l: ExprType, _ rhs: Expr, _ r: ExprType, span: ExprSpan, _ issues: inout [ExprIssue]
    ) {
        switch r {
        case .any:
            return
        case .list(let element):
            if ExprType.unify(l, element) == nil {
                issues.append(ExprIssue(
                    code: .typeMismatch, message: "cannot look for a \(l) in a \(r)", span: span,
                    hint: mismatchHint(lhs, l, rhs, r)))
                return
            }
            if case .enumeration = l, case .list(let elements, _) = rhs {
                for case .literal(.string(let value), let literalSpan) in elements {
                    checkOption(value, span: literalSpan, against: l, &issues)
                }
            }
        case .map, .record:
            if !l.isAssignable(to: .string) {
                issues.append(ExprIssue(
                    code: .typeMismatch, message: "map keys are strings; cannot look for a \(l)", span: span))
            }
        case .string, .enumeration:
            if !l.isAssignable(to: .string) {
                issues.append(ExprIssue(
                    code: .typeMismatch, message: "cannot look for a \(l) in a string", span: span))
            }
        default:
            issues.append(ExprIssue(
                code: .typeMismatch, message: "'in' needs a list, map or string on the right, found \(r)", span: rhs.span))
        }
    }

    static func orderable(_ l: ExprType, _ r: ExprType) -> Bool {
        switch (l, r) {
        case (.any, .any):
            return true
        case (.any, let other), (let other, .any):
            return other.isNumeric || other.isStringLike || other == .duration || other == .timestamp
        case (.duration, .duration), (.timestamp, .timestamp):
            return true
        default:
            return (l.isNumeric && r.isNumeric) || (l.isStringLike && r.isStringLike)
        }
    }

    static func arithmetic(_ op: Expr.BinaryOperator, _ l: ExprType, _ r: ExprType) -> ExprType? {
        if l == .any || r == .any {
            let other = l == .any ? r : l
            switch other {
            case .null, .bool, .map, .record: return nil
            default: return .any
            }
        }
        switch (op, l, r) {
        case (_, .int, .int):
            return .int
        case (_, .int, .number), (_, .number, .int), (_, .number, .number):
            return .number
        case (.add, let a, let b) where a.isStringLike && b.isStringLike:
            return .string
        case (.add, .list(let a), .list(let b)):
            return .list(ExprType.unify(a, b) ?? .any)
        case (.add, .timestamp, .duration), (.add, .duration, .timestamp), (.subtract, .timestamp, .duration):
            return .timestamp
        case (.add, .duration, .duration), (.subtract, .duration, .duration), (.subtract, .timestamp, .timestamp):
            return .duration
        case (.multiply, .duration, .int), (.multiply, .int, .duration), (.divide, .duration, .int):
            return .duration
        default:
            return nil
        }
    }
}
