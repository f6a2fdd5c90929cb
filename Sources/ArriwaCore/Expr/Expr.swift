/// The syntax tree of an expression. Every node carries the span of the source text it was parsed
/// from (relative to the parsed string: the expression, or the whole template for `${...}` parts).
public indirect enum Expr: Sendable, Hashable {
    public enum Literal: Sendable, Hashable {
        case int(Int64)
        case number(Double)
        case string(String)
        case bool(Bool)
        case null
    }

    public enum UnaryOperator: String, Sendable, Hashable {
        case not = "!"
        case negate = "-"
    }

    public enum BinaryOperator: String, Sendable, Hashable, CaseIterable {
        case or = "||"
        case and = "&&"
        case equal = "=="
        case notEqual = "!="
        case less = "<"
        case lessEqual = "<="
        case greater = ">"
        case greaterEqual = ">="
        case `in` = "in"
        case add = "+"
        case subtract = "-"
        case multiply = "*"
        case divide = "/"
        case remainder = "%"

        /// Binding power: higher binds tighter (CEL precedence; the ternary is below all of these).
        public var precedence: Int {
            switch self {
            case .or: return 1
            case .and: return 2
            case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual, .in: return 3
            case .add, .subtract: return 4
            case .multiply, .divide, .remainder: return 5
            }
        }
    }

    /// One `key: value` entry of a map literal.
    public struct MapEntry: Sendable, Hashable {
        public var key: Expr
        public var value: Expr
        public init(key: Expr, value: Expr) {
            self.key = key
            self.value = value
        }
    }

    case literal(Literal, ExprSpan)
    /// A bare identifier: the root of a path (`vars`, `session`, ...).
    case identifier(String, ExprSpan)
    /// `base.name`
    case member(Expr, name: String, ExprSpan)
    /// `base[index]`
    case index(Expr, Expr, ExprSpan)
    /// `name(arguments)`, or `receiver.name(rest)` when `receiverStyle` (the receiver is `arguments[0]`).
    case call(name: String, arguments: [Expr], receiverStyle: Bool, ExprSpan)
    case list([Expr], ExprSpan)
    case map([MapEntry], ExprSpan)
    case unary(UnaryOperator, Expr, ExprSpan)
    case binary(BinaryOperator, Expr, Expr, ExprSpan)
    /// `condition ? then : else`
    case conditional(Expr, Expr, Expr, ExprSpan)

    public var span: ExprSpan {
        switch self {
        case .literal(_, let span), .identifier(_, let span), .member(_, _, let span),
             .index(_, _, let span), .call(_, _, _, let span), .list(_, let span), .map(_, let span),
             .unary(_, _, let span), .binary(_, _, _, let span), .conditional(_, _, _, let span):
            return span
        }
    }
}
