extension Expr: CustomStringConvertible {
    /// Source-like text with every operator application parenthesized, e.g. `(a + (b * c))`.
    public var description: String {
        switch self {
        case .literal(let literal, _):
            switch literal {
            case .int(let i): return String(i)
            case .number(let d): return String(d)
            case .string(let s):
                var out = "'"
                for c in s {
                    switch c {
                    case "'": out += "\\'"
                    case "\\": out += "\\\\"
                    case "\n": out += "\\n"
                    case "\t": out += "\\t"
                    case "\r": out += "\\r"
                    default: out.append(c)
                    }
                }
                return out + "'"
            case .bool(let b): return b ? "true" : "false"
            case .null: return "null"
            }
        case .identifier(let name, _):
            return name
        case .member(let base, let name, _):
            return "\(base).\(name)"
        case .index(let base, let index, _):
            return "\(base)[\(index)]"
        case .call(let name, let arguments, let receiverStyle, _):
            if receiverStyle, let receiver = arguments.first {
                return "\(receiver).\(name)(" + arguments.dropFirst().map(\.description).joined(separator: ", ") + ")"
            }
            return "\(name)(" + arguments.map(\.description).joined(separator: ", ") + ")"
        case .list(let elements, _):
            return "[" + elements.map(\.description).joined(separator: ", ") + "]"
        case .map(let entries, _):
            return "{" + entries.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
        case .unary(let op, let operand, _):
            return "(\(op.rawValue)\(operand))"
        case .binary(let op, let lhs, let rhs, _):
            return "(\(lhs) \(op.rawValue) \(rhs))"
        case .conditional(let condition, let then, let otherwise, _):
            return "(\(condition) ? \(then) : \(otherwise))"
        }
    }
}
