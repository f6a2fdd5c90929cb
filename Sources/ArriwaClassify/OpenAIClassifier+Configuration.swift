public import Foundation

extension OpenAIClassifier {
    /// Where and how to call an OpenAI-compatible chat-completions endpoint. `description` hides the key.
    public struct Configuration: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
        CustomReflectable {
        /// The API root, e.g. `https://api.openai.com/v1`; requests go to `{baseURL}/chat/completions`.
        public var baseURL: String
        public var model: String
        /// Asked when the main model times out, is rate limited, fails with 5xx or answers off-schema.
        public var fallbackModel: String?
        /// Sent as `Authorization: Bearer …`; never logged, never in an error message.
        public var apiKey: String?
        /// Per model call, connection to last byte.
        public var timeout: Duration
        public var maxTokens: Int

        public init(baseURL: String = "https://api.openai.com/v1", model: String = "gpt-4o-mini",
                    fallbackModel: String? = nil, apiKey: String? = nil, timeout: Duration = .seconds(8),
                    maxTokens: Int = 200) {
            self.baseURL = baseURL
            self.model = model
            self.fallbackModel = fallbackModel
            self.apiKey = apiKey
            self.timeout = timeout
            self.maxTokens = maxTokens
        }

        /// Reads `ARRIWA_LLM_BASE_URL`, `ARRIWA_LLM_MODEL`, `ARRIWA_LLM_FALLBACK_MODEL`, `ARRIWA_LLM_API_KEY`
        /// and `ARRIWA_LLM_TIMEOUT_SECONDS`. nil (no model configured) without a base URL and a model.
        public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> Configuration? {
            func value(_ name: String) -> String? {
                guard let raw = env[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !raw.isEmpty else { return nil }
                return raw
            }
            guard let baseURL = value("ARRIWA_LLM_BASE_URL"), let model = value("ARRIWA_LLM_MODEL") else { return nil }
            var configuration = Configuration(baseURL: baseURL, model: model, fallbackModel: value("ARRIWA_LLM_FALLBACK_MODEL"),
                                              apiKey: value("ARRIWA_LLM_API_KEY"))
            if let text = value("ARRIWA_LLM_TIMEOUT_SECONDS"), let seconds = Double(text), seconds.isFinite, seconds > 0 {
                configuration.timeout = .milliseconds(Int64((seconds * 1000).rounded()))
            }
            return configuration
        }

        /// `{baseURL}/chat/completions`, tolerating a trailing slash on the base.
        public var endpoint: String {
            var base = baseURL
            while base.hasSuffix("/") { base.removeLast() }
            return base + "/chat/completions"
        }

        public var description: String {
            let key = apiKey == nil ? "none" : "<redacted>"
            let fallback = fallbackModel.map { ", fallbackModel: \($0)" } ?? ""
            return "OpenAIClassifier.Configuration(baseURL: \(baseURL), model: \(model)\(fallback), apiKey: \(key), timeout: \(timeout), maxTokens: \(maxTokens))"
        }

        public var debugDescription: String { description }

        /// `dump` and the debugger show the fields but not the key.
        public var customMirror: Mirror {
            Mirror(self, children: ["baseURL": baseURL, "model": model, "fallbackModel": fallbackModel as Any,
                                    "apiKey": apiKey == nil ? "none" : "<redacted>", "timeout": timeout,
                                    "maxTokens": maxTokens])
        }

        /// Replaces the key wherever it shows up in text bound for logs or errors.
        func redacted(_ text: String) -> String {
            guard let apiKey, !apiKey.isEmpty else { return text }
            return text.replacingOccurrences(of: apiKey, with: "<redacted>")
        }
    }
}
