/// A refused webhook body: which field (`messages[0].from`) and why. Answered as 400 with
/// `{"error": message, "field": field}`.
public struct InboundError: Error, Sendable, CustomStringConvertible {
    public var field: String
    public var message: String

    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}
