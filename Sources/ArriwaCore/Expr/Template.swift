/// A string with `${...}` interpolations: `"Hello ${session.profile_name}, step ${vars.step}"`.
/// `$${` is a literal `${`; any other `$` is literal text.
public struct Template: Sendable, Hashable {
    public enum Part: Sendable, Hashable {
        case literal(String)
        /// An interpolated expression. Its spans, and `offset` (the `Character` offset just after
        /// `${`), are relative to the template string.
        case expr(Expr, offset: Int)
    }

    /// Maximum template length in characters.
    public static let maxLength = 65_536

    public var parts: [Part]

    public init(parts: [Part]) {
        self.parts = parts
    }

    /// True when the template has no `${...}` (its text is its only literal part, if any).
    public var isPlain: Bool {
        !parts.contains { if case .expr = $0 { true } else { false } }
    }

    /// The interpolated expressions, in order.
    public var expressions: [Expr] {
        parts.compactMap { if case .expr(let expr, _) = $0 { expr } else { nil } }
    }

    /// Every path read by the interpolations, in source order (spans relative to the template).
    public var paths: [ExprPath] { expressions.flatMap(\.paths) }

    /// True if any interpolation calls `now()`.
    public var usesNow: Bool { expressions.contains { $0.usesNow } }

    public static func parse(_ text: String) throws(ExprError) -> Template {
        // Most texts interpolate nothing: skip the per-Character scan (a large share of lint time).
        if !text.utf8.contains(UInt8(ascii: "$")), text.utf8.count <= maxLength {
            return Template(parts: text.isEmpty ? [] : [.literal(text)])
        }
        let chars = Array(text)
        if chars.count > maxLength {
            throw ExprError(
                message: "text is too long (\(chars.count) characters; the maximum is \(maxLength))",
                span: ExprSpan(offset: maxLength, length: chars.count - maxLength))
        }
        var parts: [Part] = []
        var literal = ""
        var i = 0
        func flush() {
            if !literal.isEmpty {
                parts.append(.literal(literal))
                literal = ""
            }
        }
        while i < chars.count {
            let c = chars[i]
            if c == "$", i + 2 < chars.count, chars[i + 1] == "$", chars[i + 2] == "{" {
                literal += "${"
                i += 3
                continue
            }
            guard c == "$", i + 1 < chars.count, chars[i + 1] == "{" else {
                literal.append(c)
                i += 1
                continue
            }
            let open = ExprSpan(offset: i, length: 2)
            let start = i + 2
            var parser = try ExprSyntaxParser(chars: chars, position: start)
            switch parser.current.kind {
            case .rightBrace:
                throw ExprError(message: "empty '${}' at \(i)", span: ExprSpan(offset: i, length: parser.current.span.end - i))
            case .end:
                throw ExprError(message: "unterminated '${' at \(i): expected an expression and '}'", span: open)
            default:
                break
            }
            let expr = try parser.parseExpression().expr
            switch parser.current.kind {
            case .rightBrace:
                break
            case .end:
                throw ExprError(message: "unterminated '${' at \(i): expected '}'", span: open)
            default:
                throw ExprError(
                    message: "expected '}' to close '${' at \(i), found \(parser.current.display)",
                    span: parser.current.span)
            }
            let close = parser.current.span
            if close.offset - start > ExprSyntaxParser.maxLength {
                throw ExprError(
                    message: "expression is too long (the maximum is \(ExprSyntaxParser.maxLength) characters)",
                    span: ExprSpan(offset: start, length: close.offset - start))
            }
            flush()
            parts.append(.expr(expr, offset: start))
            i = close.end
        }
        flush()
        return Template(parts: parts)
    }
}
