import ArriwaClassify
import ArriwaCore
import ArriwaTestSupport
import AsyncHTTPClient
import Foundation

/// Requests, configurations and helpers shared by the classifier tests.
enum ClassifyFixtures {
    static let apiKey = "sk-test-DO-NOT-LEAK-4242"
    static let mainModel = "main-model"
    static let fallbackModel = "fallback-model"

    /// A buttons step with two options in two languages.
    static func sizeRequest(input: String, replyID: String? = nil, rules: Classification? = nil, mode: String = "auto",
                            tenant: String = "acme") -> ClassifyRequest {
        ClassifyRequest(
            tenant: tenant, sessionID: "s-1", stepID: "project_size", kind: "buttons",
            question: "How big is your project?", language: "en",
            options: [
                .init(id: "small", titles: ["Small project", "Маленький проект"], synonyms: ["tiny", "landing page"],
                      description: "Up to five pages"),
                .init(id: "large", titles: ["Large project", "Большой проект"], synonyms: ["huge", "platform"],
                      description: "A whole product"),
            ],
            examples: ["just a small site for my bakery"], patterns: [], input: input, replyID: replyID,
            rules: rules, mode: mode)
    }

    /// A free-text step without options or patterns (the rules call any text ambiguous).
    static func goalRequest(input: String, tenant: String = "acme") -> ClassifyRequest {
        ClassifyRequest(
            tenant: tenant, sessionID: "s-2", stepID: "goal", kind: "text", question: "What should the site achieve?",
            language: "ru", options: [], examples: ["больше заявок с сайта"], patterns: [], input: input, replyID: nil,
            rules: nil, mode: "auto")
    }

    static func configuration(_ server: FakeChatCompletionsServer, fallback: String? = nil,
                              timeout: Duration = .seconds(10)) -> OpenAIClassifier.Configuration {
        OpenAIClassifier.Configuration(baseURL: server.baseURL, model: mainModel, fallbackModel: fallback, apiKey: apiKey,
                                       timeout: timeout, maxTokens: 150)
    }
}

/// The synchronous rules answer (in async code `classify` picks the `Classifier` witness).
func rulesResult(_ request: ClassifyRequest) -> Classification {
    RulesClassifier().classify(request)
}

/// Runs `body` with a fresh HTTP client and always shuts it down.
func withHTTPClient<T>(_ body: (HTTPClient) async throws -> T) async throws -> T {
    let client = HTTPClient()
    do {
        let result = try await body(client)
        try await client.shutdown()
        return result
    } catch {
        try await client.shutdown()
        throw error
    }
}

/// A fake chat-completions server and an HTTP client for one test, both shut down afterwards.
func withFakeModel<T>(_ body: (FakeChatCompletionsServer, HTTPClient) async throws -> T) async throws -> T {
    try await withFakeChatCompletions { server in
        try await withHTTPClient { client in try await body(server, client) }
    }
}

/// A clock the tests move by hand, in seconds.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var seconds: Double

    init(_ seconds: Double = 1_000) { self.seconds = seconds }

    func now() -> Double {
        lock.withLock { seconds }
    }

    func advance(by delta: Double) {
        lock.withLock { seconds += delta }
    }

    var clock: CircuitBreaker.Clock { { [self] in now() } }
}
