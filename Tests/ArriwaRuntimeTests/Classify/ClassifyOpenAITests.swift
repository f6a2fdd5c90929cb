import ArriwaClassify
import ArriwaCore
import ArriwaTestSupport
import Testing

/// `OpenAIClassifier` against the fake chat-completions server over loopback HTTP.
@Suite struct ClassifyOpenAITests {
    @Test func validStructuredAnswerIsParsed() async throws {
        try await withFakeModel { server, client in
            await server.enqueue(.classification(validity: "valid", confidence: 0.92, answer: "small", qualityScore: 0.7))
            let classifier = OpenAIClassifier(configuration: ClassifyFixtures.configuration(server), httpClient: client)
            let result = try await classifier.classify(ClassifyFixtures.sizeRequest(input: "just a few pages really"))
            #expect(result == Classification(validity: .valid, confidence: 0.92, answer: "small", qualityScore: 0.7,
                                             offscript: false, source: "llm:main-model"))
        }
    }

    @Test func requestCarriesQuestionOptionsExamplesSchemaModelAndKey() async throws {
        try await withFakeModel { server, client in
            await server.enqueue(.classification(validity: "valid", confidence: 0.9, answer: "large"))
            let classifier = OpenAIClassifier(configuration: ClassifyFixtures.configuration(server), httpClient: client)
            _ = try await classifier.classify(ClassifyFixtures.sizeRequest(input: "a \"big\" marketplace"))

            let requests = await server.requests()
            try #require(requests.count == 1)
            let sent = requests[0]
            #expect(sent.method == "POST")
            #expect(sent.path == "/v1/chat/completions")
            #expect(sent.authorization == "Bearer \(ClassifyFixtures.apiKey)")
            #expect(sent.headers["content-type"] == "application/json")
            #expect(sent.model == "main-model")
            #expect(sent.json?["temperature"]?.number == 0)
            #expect(sent.json?["max_tokens"]?.number == 150)

            let user = try #require(sent.message(role: "user"))
            for expected in ["How big is your project?", "id: small", "id: large", "\"Small project\"", "\"Маленький проект\"",
                             "\"landing page\"", "Up to five pages", "\"just a small site for my bakery\"",
                             "\"a \\\"big\\\" marketplace\"", "Language: en"] {
                #expect(user.contains(expected), "user prompt lacks \(expected)")
            }
            let system = try #require(sent.message(role: "system"))
            #expect(system.contains("option id"))

            let format = try #require(sent.responseFormat)
            #expect(format["type"]?.string == "json_schema")
            #expect(format["json_schema"]?["name"]?.string == "classification")
            #expect(format["json_schema"]?["strict"]?.bool == true)
            let schema = try #require(format["json_schema"]?["schema"])
            #expect(schema["additionalProperties"]?.bool == false)
            #expect(Set(schema["required"]?.array?.compactMap(\.string) ?? [])
                == ["validity", "confidence", "answer_parsed", "quality_score", "offscript"])
            #expect(schema["properties"]?["validity"]?["enum"] == .array([.string("valid"), .string("ambiguous"), .string("noise")]))
            #expect(schema["properties"]?["answer_parsed"]?["enum"] == .array([.string("small"), .string("large"), .null]))
            #expect(schema["properties"]?["offscript"]?["type"]?.string == "boolean")
        }
    }

    @Test func confidenceIsClampedToZeroOne() async throws {
        try await withFakeModel { server, client in
            await server.enqueue(.classification(validity: "valid", confidence: 1.7, answer: "small", qualityScore: 3),
                                 .classification(validity: "noise", confidence: -0.4, answer: nil, qualityScore: -1))
            let classifier = OpenAIClassifier(configuration: ClassifyFixtures.configuration(server), httpClient: client)
            let high = try await classifier.classify(ClassifyFixtures.sizeRequest(input: "small one"))
            let low = try await classifier.classify(ClassifyFixtures.sizeRequest(input: "hello"))
            #expect(high.confidence == 1 && high.qualityScore == 1)
            #expect(low.confidence == 0 && low.qualityScore == 0 && low.validity == .noise)
        }
    }

    @Test func answerNotAmongOptionIDsIsAmbiguous() async throws {
        try await withFakeModel { server, client in
            await server.enqueue(.classification(validity: "valid", confidence: 0.95, answer: "Medium project"))
            let classifier = OpenAIClassifier(configuration: ClassifyFixtures.configuration(server), httpClient: client)
            let result = try await classifier.classify(ClassifyFixtures.sizeRequest(input: "medium I guess"))
            #expect(result.validity == .ambiguous)
            #expect(result.answer == nil)
            #expect(result.outcome(valid: 0.65, noise: 0.3) == .ambiguous)
        }
    }

    @Test func freeTextStepKeepsTheModelsAnswer() async throws {
        try await withFakeModel { server, client in
            await server.enqueue(.classification(validity: "valid", confidence: 0.8, answer: "больше продаж", offscript: false))
            let classifier = OpenAIClassifier(configuration: ClassifyFixtures.configuration(server), httpClient: client)
            let result = try await classifier.classify(ClassifyFixtures.goalRequest(input: "ну хотим больше продаж"))
            #expect(result.validity == .valid && result.answer == "больше продаж")
            let schema = await server.requests().first?.responseFormat?["json_schema"]?["schema"]
            #expect(schema?["properties"]?["answer_parsed"]?["enum"] == nil)
        }
    }

    @Test(arguments: [
        "this is not JSON at all",
        #"{"validity": "valid", "confidence": 0.9}"#,
        #"{"validity": "maybe", "confidence": 0.9, "answer_parsed": null, "quality_score": 0.5, "offscript": false}"#,
        #"{"validity": "valid", "confidence": "high", "answer_parsed": "small", "quality_score": 0.5, "offscript": false}"#,
    ])
    func malformedContentThrowsMalformedResponse(content: String) async throws {
        try await withFakeModel { server, client in
            await server.enqueue(.content(content))
            let classifier = OpenAIClassifier(configuration: ClassifyFixtures.configuration(server), httpClient: client)
            let error = await #expect(throws: ClassifierError.self) {
                try await classifier.classify(ClassifyFixtures.sizeRequest(input: "something"))
            }
            #expect(error?.code == .malformedResponse)
            #expect(error?.message.contains("project_size") == true)
        }
    }

    @Test func bodyThatIsNotAChatCompletionIsMalformed() async throws {
        try await withFakeModel { server, client in
            await server.enqueue(.raw(status: 200, body: "<html>gateway</html>"))
            let classifier = OpenAIClassifier(configuration: ClassifyFixtures.configuration(server), httpClient: client)
            let error = await #expect(throws: ClassifierError.self) {
                try await classifier.classify(ClassifyFixtures.sizeRequest(input: "something"))
            }
            #expect(error?.code == .malformedResponse)
        }
    }

    @Test func refusalThrowsRefused() async throws {
        try await withFakeModel { server, client in
            await server.enqueue(.refusal("I can't help with that."))
            let classifier = OpenAIClassifier(
                configuration: ClassifyFixtures.configuration(server, fallback: ClassifyFixtures.fallbackModel), httpClient: client)
            let error = await #expect(throws: ClassifierError.self) {
                try await classifier.classify(ClassifyFixtures.sizeRequest(input: "something"))
            }
            #expect(error?.code == .refused)
            #expect(await server.requests().count == 1)
        }
    }
}
