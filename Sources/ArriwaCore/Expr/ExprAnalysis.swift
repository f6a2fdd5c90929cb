extension Expr {
    /// The static path this node denotes (`vars.a.b`, `answers['Q1']`, `list[0]`), or nil when it is
    /// not a pure path (a call, an operator, or an index that is not a literal).
    public var staticPath: [String]? {
        // One array for the whole path (the evaluator asks for it on every path it reads).
        var components: [String] = []
        components.reserveCapacity(4)
        return appendStaticPath(to: &components) ? components : nil
    }

    private func appendStaticPath(to components: inout [String]) -> Bool {
        switch self {
        case .identifier(let name, _):
            components.append(name)
            return true
        case .member(let base, let name, _):
            guard base.appendStaticPath(to: &components) else { return false }
            components.append(name)
            return true
        case .index(let base, let index, _):
            guard let component = Expr.literalComponent(index), base.appendStaticPath(to: &components) else { return false }
            components.append(component)
            return true
        default:
            return false
        }
    }

    /// A literal index usable as a path component: a string, or a non-negative integer.
    static func literalComponent(_ index: Expr) -> String? {
        switch index {
        case .literal(.string(let key), _): return key
        case .literal(.int(let i), _) where i >= 0: return String(i)
        default: return nil
        }
    }

    /// Every path read, with its span, in source order. `session.answers[vars.step]` reads
    /// `session.answers` then `vars.step`.
    public var paths: [ExprPath] {
        var out: [ExprPath] = []
        collectPaths(into: &out)
        return out
    }

    private func collectPaths(into out: inout [ExprPath]) {
        if let components = staticPath {
            out.append(ExprPath(components: components, span: span))
            return
        }
        switch self {
        case .literal, .identifier:
            break
        case .member(let base, _, _):
            base.collectPaths(into: &out)
        case .index(let base, let index, _):
            base.collectPaths(into: &out)
            index.collectPaths(into: &out)
        case .call(_, let arguments, _, _):
            for argument in arguments { argument.collectPaths(into: &out) }
        case .list(let elements, _):
            for element in elements { element.collectPaths(into: &out) }
        case .map(let entries, _):
            for entry in entries {
                entry.key.collectPaths(into: &out)
                entry.value.collectPaths(into: &out)
            }
        case .unary(_, let operand, _):
            operand.collectPaths(into: &out)
        case .binary(_, let lhs, let rhs, _):
            lhs.collectPaths(into: &out)
            rhs.collectPaths(into: &out)
        case .conditional(let condition, let then, let otherwise, _):
            condition.collectPaths(into: &out)
            then.collectPaths(into: &out)
            otherwise.collectPaths(into: &out)
        }
    }

    /// True if the expression calls `now()` anywhere.
    public var usesNow: Bool {
        switch self {
        case .literal, .identifier:
            return false
        case .call(let name, let arguments, _, _):
            return name == "now" || arguments.contains { $0.usesNow }
        case .member(let base, _, _):
            return base.usesNow
        case .index(let base, let index, _):
            return base.usesNow || index.usesNow
        case .list(let elements, _):
            return elements.contains { $0.usesNow }
        case .map(let entries, _):
            return entries.contains { $0.key.usesNow || $0.value.usesNow }
        case .unary(_, let operand, _):
            return operand.usesNow
        case .binary(_, let lhs, let rhs, _):
            return lhs.usesNow || rhs.usesNow
        case .conditional(let condition, let then, let otherwise, _):
            return condition.usesNow || then.usesNow || otherwise.usesNow
        }
    }

    /// True if the expression reads no path and does not call `now()`: its value can be folded with
    /// `Evaluator.constantValue(of:)`.
    public var isConstant: Bool { paths.isEmpty && !usesNow }
}
