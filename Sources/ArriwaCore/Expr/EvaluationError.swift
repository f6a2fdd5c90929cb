/// An error while evaluating an expression or rendering a template; `span` points into the
/// expression (or template) text.
public struct EvaluationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public var span: ExprSpan

    public init(message: String, span: ExprSpan) {
        self.message = message
        self.span = span
    }

    public var description: String { "\(message) (at \(span.offset))" }
}
