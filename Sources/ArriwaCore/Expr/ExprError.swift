/// A syntax error found while lexing or parsing an expression or a template.
public struct ExprError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    /// The offending token (or character); offsets count `Character`s from the start of the parsed text.
    public var span: ExprSpan

    public init(message: String, span: ExprSpan) {
        self.message = message
        self.span = span
    }

    public var description: String { "\(message) (at \(span.offset))" }
}
