/// A problem found by the `TypeChecker` (or a syntax error turned into an issue).
public struct ExprIssue: Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case undeclared, typeMismatch, unknownOption, unknownFunction, functionArguments, constantCondition, syntax
    }

    public var code: Code
    public var message: String
    public var span: ExprSpan
    public var hint: String?

    public init(code: Code, message: String, span: ExprSpan, hint: String? = nil) {
        self.code = code
        self.message = message
        self.span = span
        self.hint = hint
    }

    /// A `.syntax` issue for a parse error.
    public init(_ error: ExprError) {
        self.init(code: .syntax, message: error.message, span: error.span)
    }

    public var description: String {
        var text = "\(code.rawValue) at \(span.offset): \(message)"
        if let hint { text += " (\(hint))" }
        return text
    }
}
