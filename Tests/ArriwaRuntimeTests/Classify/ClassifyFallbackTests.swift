import ArriwaClassify
import ArriwaCore
import ArriwaTestSupport
import Testing

/// Main model → fallback model, and the errors when both fail.
@Suite struct ClassifyFallbackTests {
    static let main = ClassifyFixtures.mainModel
    static let fallback = ClassifyFixtures.fallbackModel

    @Test func timeoutUsesTheFallbackModel() async throws {
        try await withFakeModel { server, client in
            await server.setReply(.delayed(.seconds(5), .classification(validity: "valid", confidence: 0.9, answer: "large")),
                                  forModel: Self.main)
            await server.setReply(.classification(validity: "valid", confidence: 0.85, answer: "small"), forModel: Self.fallback)
            // 2 s: well under the main model's 5 s delay, and enough for the fallback's answer on a
            // CI machine busy with the crash tests' server processes.
            let configuration = ClassifyFixtures.configuration(server, fallback: Self.fallback, timeout: .seconds(2))
            let classifier = OpenAIClassifier(configuration: configuration, httpClient: client)
            let result = try await classifier.classify(ClassifyFixtures.sizeRequest(input: "a few pages"))
            #expect(result.source == "llm:fallback-model")
            #expect(result.answer == "small")
            #expect(await server.requests().map(\.model) == [Self.main, Self.fallback])
        }
    }

    @Test func timeoutWithoutFallbackThrowsTimeout() async throws {
        try await withFakeModel { server, client in
            await server.setDefaultReply(.delayed(.seconds(5), .classification(validity: "valid", confidence: 0.9, answer: "small")))
            let configuration = ClassifyFixtures.configuration(server, timeout: .milliseconds(300))
            let classifier = OpenAIClassifier(configuration: configuration, httpClient: client)
            let error = await #expect(throws: ClassifierError.self) {
                try await classifier.classify(ClassifyFixtures.sizeRequest(input: "a few pages"))
            }
            #expect(error?.code == .timeout)
            #expect(error?.message.contains("model main-model") == true)
        }
    }

    @Test func serverErrorOnBothModelsThrows() async throws {
        try await withFakeModel { server, client in
            await server.setDefaultReply(.error(status: 500, message: "The server had an error while processing your request."))
            let classifier = OpenAIClassifier(
                configuration: ClassifyFixtures.configuration(server, fallback: Self.fallback), httpClient: client)
            let error = await #expect(throws: ClassifierError.self) {
                try await classifier.classify(ClassifyFixtures.sizeRequest(input: "a few pages"))
            }
            #expect(error?.code == .http(status: 500))
            #expect(error?.message.contains("fallback-model") == true)
            #expect(error?.message.contains("main-model") == true)
            #expect(await server.requests().map(\.model) == [Self.main, Self.fallback])
        }
    }

    @Test func rateLimitUsesTheFallbackModel() async throws {
        try await withFakeModel { server, client in
            await server.setReply(.error(status: 429, message: "Rate limit reached", type: "rate_limit_exceeded"), forModel: Self.main)
            await server.setReply(.classification(validity: "ambiguous", confidence: 0.5, answer: nil), forModel: Self.fallback)
            let classifier = OpenAIClassifier(
                configuration: ClassifyFixtures.configuration(server, fallback: Self.fallback), httpClient: client)
            let result = try await classifier.classify(ClassifyFixtures.sizeRequest(input: "hmm"))
            #expect(result.source == "llm:fallback-model" && result.validity == .ambiguous)
            #expect(await server.requests().map(\.model) == [Self.main, Self.fallback])
        }
    }

    @Test func malformedAnswerUsesTheFallbackModel() async throws {
        try await withFakeModel { server, client in
            await server.setReply(.content("Sure! The answer is small."), forModel: Self.main)
            await server.setReply(.classification(validity: "valid", confidence: 0.9, answer: "small"), forModel: Self.fallback)
            let classifier = OpenAIClassifier(
                configuration: ClassifyFixtures.configuration(server, fallback: Self.fallback), httpClient: client)
            let result = try await classifier.classify(ClassifyFixtures.sizeRequest(input: "small-ish"))
            #expect(result.source == "llm:fallback-model" && result.answer == "small")
            #expect(await server.requests().map(\.model) == [Self.main, Self.fallback])
        }
    }

    @Test func unauthorizedDoesNotTryTheFallbackModel() async throws {
        try await withFakeModel { server, client in
            await server.setDefaultReply(.error(status: 401, message: "Invalid authentication", type: "invalid_request_error"))
            let classifier = OpenAIClassifier(
                configuration: ClassifyFixtures.configuration(server, fallback: Self.fallback), httpClient: client)
            let error = await #expect(throws: ClassifierError.self) {
                try await classifier.classify(ClassifyFixtures.sizeRequest(input: "small-ish"))
            }
            #expect(error?.code == .http(status: 401))
            #expect(await server.requests().count == 1)
        }
    }

    @Test func keyNeverAppearsInErrorDescriptions() async throws {
        try await withFakeModel { server, client in
            let key = ClassifyFixtures.apiKey
            await server.enqueue(
                .error(status: 401, message: "Incorrect API key provided: \(key). You can find your API key at ...",
                       type: "invalid_request_error"),
                .content("not json, but it quotes the key: \(key)"),
                .refusal("I will not classify with key \(key)"),
                .delayed(.seconds(5), .content("late")))
            var configuration = ClassifyFixtures.configuration(server)
            let classifier = OpenAIClassifier(configuration: configuration, httpClient: client)
            var descriptions: [String] = []
            for expected in [ClassifierError.Code.http(status: 401), .malformedResponse, .refused] {
                let error = try #require(await #expect(throws: ClassifierError.self) {
                    try await classifier.classify(ClassifyFixtures.sizeRequest(input: "x"))
                })
                #expect(error.code == expected)
                descriptions += [error.description, error.message, String(describing: error), String(reflecting: error)]
            }
            configuration.timeout = .milliseconds(300)
            let timeout = try #require(await #expect(throws: ClassifierError.self) {
                try await OpenAIClassifier(configuration: configuration, httpClient: client)
                    .classify(ClassifyFixtures.sizeRequest(input: "x"))
            })
            #expect(timeout.code == .timeout)
            descriptions.append(timeout.description)
            var dumped = ""
            dump(configuration, to: &dumped)
            descriptions += ["\(configuration)", String(reflecting: configuration), dumped]

            #expect(descriptions.count == 16)
            for description in descriptions {
                #expect(!description.contains(key), "leaked in: \(description)")
                #expect(!description.contains("DO-NOT-LEAK"), "leaked in: \(description)")
            }
            #expect(descriptions[0].contains("step project_size, model main-model"))
            #expect(descriptions[0].contains("<redacted>"))
        }
    }
}
