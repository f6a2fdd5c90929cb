/// A failed delivery attempt. Technical failures (5xx, 408, 429, timeouts, connection errors)
/// are retried with backoff; permanent ones (other 4xx, a refused payload) go to the dead letters
/// at once.
public struct DeliveryError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case transient
        case permanent
    }

    public var kind: Kind
    public var message: String
    /// For a transient failure: the earliest retry the destination asked for (a rate limit's
    /// backoff), in milliseconds. The dispatcher waits at least this long, and at least its own backoff.
    public var retryAfterMillis: Int64?

    public init(_ kind: Kind, _ message: String, retryAfterMillis: Int64? = nil) {
        self.kind = kind
        self.message = message
        self.retryAfterMillis = retryAfterMillis
    }

    public static func transient(_ message: String) -> DeliveryError { DeliveryError(.transient, message) }
    public static func permanent(_ message: String) -> DeliveryError { DeliveryError(.permanent, message) }

    /// How an HTTP status is treated: 2xx is not an error; 408, 429 and 5xx are transient; other 4xx permanent.
    public static func classify(httpStatus: Int, destination: String) -> DeliveryError? {
        switch httpStatus {
        case 200..<300: nil
        case 408, 429, 500...: .transient("\(destination) answered HTTP \(httpStatus)")
        default: .permanent("\(destination) answered HTTP \(httpStatus)")
        }
    }

    public var description: String { "\(kind.rawValue): \(message)" }
}
