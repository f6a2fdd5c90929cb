extension FakeChatCompletionsServer {
    /// What the fake answers to one request.
    public enum Reply: Sendable, Hashable {
        /// A 200 chat completion whose message content is exactly this text (use for malformed output).
        case content(String)
        /// A 200 chat completion carrying a well-formed classification.
        case classification(validity: String, confidence: Double, answer: String?, qualityScore: Double = 0.8,
                            offscript: Bool = false)
        /// A 200 chat completion whose message is a refusal (content null).
        case refusal(String)
        /// An OpenAI-style error: `{"error": {"message", "type", "param": null, "code"}}` with this status.
        case error(status: Int, message: String, type: String = "server_error")
        /// Any status and body, verbatim.
        case raw(status: Int, body: String)
        /// Waits, then answers (to push clients past their timeout).
        indirect case delayed(Duration, Reply)
    }

    /// One request as received.
    public struct RecordedRequest: Sendable, Hashable {
        public var method: String
        public var path: String
        /// Lower-cased header names.
        public var headers: [String: String]
        public var body: String
        /// The body parsed, nil when it is not JSON.
        public var json: RecordedJSON?

        public var model: String? { json?["model"]?.string }
        public var authorization: String? { headers["authorization"] }
        public var responseFormat: RecordedJSON? { json?["response_format"] }

        /// The `content` of the first message with this role.
        public func message(role: String) -> String? {
            json?["messages"]?.array?.first { $0["role"]?.string == role }?["content"]?.string
        }
    }
}
