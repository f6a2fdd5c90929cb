/// Evaluates expressions and renders templates. No loops exist in the language; cost is further
/// bounded by `EvaluationContext.budget`, and strings are limited to `maxStringBytes`.
public enum Evaluator {
    /// Largest string (UTF-8 bytes) an evaluation may produce: 64 KiB.
    public static let maxStringBytes = 65_536

    public static func evaluate(_ expr: Expr, in context: EvaluationContext) throws(EvaluationError) -> Value {
        var interpreter = ExprInterpreter(context: context)
        return try interpreter.eval(expr)
    }

    /// Renders each part; interpolated values use `Value.renderedText`. One budget covers the whole template.
    public static func render(_ template: Template, in context: EvaluationContext) throws(EvaluationError) -> String {
        var interpreter = ExprInterpreter(context: context)
        var out = ""
        // Texts with interpolations are mostly keys and sentences beyond the 15 bytes a string holds
        // inline: one buffer up front instead of regrowing it part by part.
        if template.parts.count > 1 { out.reserveCapacity(64) }
        var bytes = 0
        for part in template.parts {
            let piece: String
            let span: ExprSpan
            switch part {
            case .literal(let text):
                piece = text
                span = ExprSpan(offset: 0, length: 0)
            case .expr(let expr, _):
                piece = try interpreter.eval(expr).renderedText
                span = expr.span
            }
            bytes += piece.utf8.count
            if bytes > maxStringBytes {
                throw EvaluationError(message: "text result is longer than 64 KiB", span: span)
            }
            out += piece
        }
        try interpreter.spend(bytes / 1_024, span: ExprSpan(offset: 0, length: 0))
        return out
    }

    /// The value of a constant expression (`expr.isConstant`), or nil if it is not constant or fails.
    public static func constantValue(of expr: Expr) -> Value? {
        guard expr.isConstant else { return nil }
        return try? evaluate(expr, in: EvaluationContext(resolver: StaticValueResolver(), now: 0))
    }
}
