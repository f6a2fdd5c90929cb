/// Parses expression text into an `Expr`.
public enum ExprParser {
    /// Maximum expression length in characters.
    public static let maxLength = ExprSyntaxParser.maxLength
    /// Maximum nesting depth (parentheses, operators, calls).
    public static let maxDepth = ExprSyntaxParser.maxDepth

    /// Parses a whole expression. Spans are `Character` offsets into `text`.
    public static func parse(_ text: String) throws(ExprError) -> Expr {
        let chars = Array(text)
        if chars.count > maxLength {
            throw ExprError(
                message: "expression is too long (\(chars.count) characters; the maximum is \(maxLength))",
                span: ExprSpan(offset: maxLength, length: chars.count - maxLength))
        }
        var parser = try ExprSyntaxParser(chars: chars)
        if parser.current.kind == .end {
            throw ExprError(message: "empty expression", span: parser.current.span)
        }
        let result = try parser.parseExpression()
        guard parser.current.kind == .end else {
            throw ExprError(message: "unexpected \(parser.current.display) after expression", span: parser.current.span)
        }
        return result.expr
    }
}
