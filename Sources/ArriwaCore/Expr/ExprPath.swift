/// A path read by an expression, e.g. `["vars", "retries"]` for `vars.retries`, or
/// `["session", "answers", "Q1"]` for `session.answers["Q1"]` (a string or integer literal index
/// is a component; any other index ends the static path).
public struct ExprPath: Sendable, Hashable, CustomStringConvertible {
    public var components: [String]
    public var span: ExprSpan

    public init(components: [String], span: ExprSpan) {
        self.components = components
        self.span = span
    }

    /// `vars.retries`, `session.answers.Q1`; components that are not identifiers are shown as `["..."]`.
    public var description: String { ExprPath.display(components) }

    static func display(_ components: [String]) -> String {
        var out = ""
        for (i, component) in components.enumerated() {
            let isIdentifier = !component.isEmpty
                && component.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
                && !(component.first?.isNumber ?? true)
            if i == 0 {
                out += component
            } else if isIdentifier {
                out += "." + component
            } else if Int64(component) != nil {
                out += "[\(component)]"
            } else {
                out += "['\(component)']"
            }
        }
        return out
    }
}
