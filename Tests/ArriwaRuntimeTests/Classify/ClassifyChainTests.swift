import ArriwaClassify
import ArriwaCore
import ArriwaTestSupport
import AsyncHTTPClient
import Testing

/// `ClassifierChain`: rules first, the model only when needed, the rules' answer when it fails.
@Suite struct ClassifyChainTests {
    func chain(_ server: FakeChatCompletionsServer, _ client: HTTPClient, breaker: CircuitBreaker? = CircuitBreaker())
        -> ClassifierChain {
        ClassifierChain(model: OpenAIClassifier(configuration: ClassifyFixtures.configuration(server), httpClient: client),
                        breaker: breaker)
    }

    @Test(arguments: [("Small project", nil), ("whatever", "large"), ("Большой проект", nil)] as [(String, String?)])
    func confidentRulesNeverCallTheModel(input: String, replyID: String?) async throws {
        try await withFakeModel { server, client in
            await server.setDefaultReply(.classification(validity: "noise", confidence: 0.9, answer: nil))
            let result = await chain(server, client).classify(ClassifyFixtures.sizeRequest(input: input, replyID: replyID))
            #expect(result.source == "rules")
            #expect(result.validity == .valid && result.confidence >= 0.95)
            #expect(await server.requests().isEmpty)
        }
    }

    @Test func rulesModeNeverCallsTheModel() async throws {
        try await withFakeModel { server, client in
            let result = await chain(server, client).classify(ClassifyFixtures.sizeRequest(input: "no idea yet", mode: "rules"))
            #expect(result.source == "rules")
            #expect(await server.requests().isEmpty)
        }
    }

    @Test func ambiguousRulesAskTheModel() async throws {
        try await withFakeModel { server, client in
            await server.enqueue(.classification(validity: "valid", confidence: 0.88, answer: "large", qualityScore: 0.6))
            let request = ClassifyFixtures.sizeRequest(input: "tiny start but a huge platform later")
            #expect(rulesResult(request).validity == .ambiguous)
            let result = await chain(server, client).classify(request)
            #expect(result == Classification(validity: .valid, confidence: 0.88, answer: "large", qualityScore: 0.6,
                                             source: "llm:main-model"))
            let requests = await server.requests()
            #expect(requests.count == 1)
            #expect(requests.first?.message(role: "user")?.contains("tiny start but a huge platform later") == true)
        }
    }

    @Test func theRequestsOwnRulesResultIsUsed() async throws {
        try await withFakeModel { server, client in
            // The engine's rules said valid and sure, although the RulesClassifier alone would not.
            let provided = Classification(validity: .valid, confidence: 0.9, answer: "large", qualityScore: 0.5, source: "rules")
            let result = await chain(server, client).classify(ClassifyFixtures.sizeRequest(input: "no idea", rules: provided))
            #expect(result == provided)
            #expect(await server.requests().isEmpty)
        }
    }

    @Test func modelFailureReturnsTheRulesResult() async throws {
        try await withFakeModel { server, client in
            await server.setDefaultReply(.error(status: 503, message: "overloaded"))
            let request = ClassifyFixtures.sizeRequest(input: "tiny start but a huge platform later")
            let rules = rulesResult(request)
            let result = await chain(server, client).classify(request)
            var expected = rules
            expected.source = "rules (model failed: http 503)"
            #expect(result == expected)
            #expect(await server.requests().count == 1)
        }
    }

    @Test func unreachableModelIsATransportFailureAndTheRulesAnswer() async throws {
        let server = try await FakeChatCompletionsServer.start()
        await server.shutdown()
        try await withHTTPClient { client in
            // Port 1 on loopback: nothing listens there and nothing else in the suite can bind it
            // (a just-closed ephemeral port may be taken by another test's server at once).
            var configuration = ClassifyFixtures.configuration(server, fallback: ClassifyFixtures.fallbackModel)
            configuration.baseURL = "http://127.0.0.1:1/v1"
            let model = OpenAIClassifier(configuration: configuration, httpClient: client)
            let request = ClassifyFixtures.goalRequest(input: "ну, посмотрим")
            let error = await #expect(throws: ClassifierError.self) { try await model.classify(request) }
            #expect(error?.code == .transport)
            let result = await ClassifierChain(model: model).classify(request)
            #expect(result.source == "rules (model failed: transport)")
            #expect(result.validity == rulesResult(request).validity)
        }
    }

    @Test func withoutAModelTheRulesAnswer() async throws {
        let request = ClassifyFixtures.goalRequest(input: "хотим больше клиентов")
        let result = await ClassifierChain().classify(request)
        #expect(result == rulesResult(request))
        #expect(result.validity == .ambiguous)
    }

    @Test func openBreakerSkipsTheModelThenHalfOpensAfterThirtySeconds() async throws {
        try await withFakeModel { server, client in
            let clock = ManualClock()
            let breaker = CircuitBreaker(clock: clock.clock)
            let chain = chain(server, client, breaker: breaker)
            let request = ClassifyFixtures.goalRequest(input: "ну, посмотрим")
            await server.setDefaultReply(.error(status: 500, message: "down"))
            for _ in 0..<3 {
                #expect(await chain.classify(request).source == "rules (model failed: http 500)")
                clock.advance(by: 5)
            }
            #expect(await breaker.state(for: "acme") == .open)
            #expect(await chain.classify(request).source == "rules (breaker open)")
            #expect(await server.requests().count == 3)
            // Another tenant's breaker is closed.
            #expect(await chain.classify(ClassifyFixtures.goalRequest(input: "ну, посмотрим", tenant: "other")).source
                == "rules (model failed: http 500)")
            #expect(await server.requests().count == 4)

            clock.advance(by: 30)
            await server.setDefaultReply(.classification(validity: "valid", confidence: 0.7, answer: "посмотрим"))
            #expect(await breaker.state(for: "acme") == .halfOpen)
            #expect(await chain.classify(request).source == "llm:main-model")
            #expect(await breaker.state(for: "acme") == .closed)
            #expect(await server.requests().count == 5)
        }
    }
}
