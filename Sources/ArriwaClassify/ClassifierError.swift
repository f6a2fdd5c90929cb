/// Why a model classifier gave no answer. The message names the request (step, model) and never
/// carries the API key.
public struct ClassifierError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: Sendable, Hashable, CustomStringConvertible {
        /// No answer within the configured timeout.
        case timeout
        /// The server answered with a non-2xx status (429, 5xx, 401, ...).
        case http(status: Int)
        /// The body, the message content or the classification inside it is not what the schema asks for.
        case malformedResponse
        /// Connection refused, reset, DNS, TLS: nothing usable came back.
        case transport
        /// The model declined to answer (a `refusal` in the message).
        case refused
        /// A circuit breaker kept the call from being made.
        case breakerOpen

        public var description: String {
            switch self {
            case .timeout: "timeout"
            case .http(let status): "http \(status)"
            case .malformedResponse: "malformed response"
            case .transport: "transport"
            case .refused: "refused"
            case .breakerOpen: "breaker open"
            }
        }

        /// Failures a different model may not share: timeouts, rate limits, server errors, bad output.
        public var allowsFallback: Bool {
            switch self {
            case .timeout, .malformedResponse: true
            case .http(let status): status == 429 || status >= 500
            case .transport, .refused, .breakerOpen: false
            }
        }
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
