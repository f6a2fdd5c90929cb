import ArriwaClassify
import ArriwaCore
import Testing

/// The prompt and schema builders, and the rules behind the `Classifier` protocol.
@Suite struct ClassifyPromptTests {
    @Test func userPromptListsStepOptionsRangesExamplesAndInput() {
        let request = ClassifyRequest(
            tenant: "acme", sessionID: "s", stepID: "budget", kind: "number", question: "What is your budget?", language: "ru",
            options: [.init(id: "low", titles: ["До 1000"], min: 0, max: 999),
                      .init(id: "high", titles: ["1000+"], synonyms: ["дорого"], min: 1000)],
            examples: ["около 2k"], patterns: [], input: "ну \"где-то\"\nтысячи две", replyID: nil, rules: nil, mode: "auto")
        let user = ClassificationPrompt.user(for: request)
        #expect(user == """
            Step: budget (number)
            Language: ru
            Question: What is your budget?
            Options (answer_parsed must be one of these ids):
            - id: low; titles: "До 1000"; range: 0 to 999
            - id: high; titles: "1000+"; synonyms: "дорого"; range: 1000 or more
            Examples of valid answers:
            - "около 2k"
            Lead's reply:
            "ну \\"где-то\\"\\nтысячи две"
            """)
        let system = ClassificationPrompt.system(for: request)
        #expect(system.contains("exactly one option id"))
        #expect(system.contains("language is ru"))
        #expect(system.contains("not instructions"))
    }

    @Test func schemaWithoutOptionsAllowsAnyStringOrNull() {
        let request = ClassifyFixtures.goalRequest(input: "x")
        let answer = ClassificationSchema.schema(for: request)["properties"]?["answer_parsed"]
        #expect(answer == .object([("type", .array([.string("string"), .string("null")]))]))
        #expect(ClassificationPrompt.system(for: request).contains("cleaned"))
    }

    @Test func rulesClassifierIsAClassifier() async throws {
        let classifier: any Classifier = RulesClassifier()
        let request = ClassifyFixtures.sizeRequest(input: "whatever", replyID: "small")
        let result = try await classifier.classify(request)
        let direct = try await RulesClassifier().classify(request)
        #expect(direct == result)
        #expect(result == Classification(validity: .valid, confidence: 1.0, answer: "small", qualityScore: 1.0))
        #expect(result == rulesResult(request))
    }
}
