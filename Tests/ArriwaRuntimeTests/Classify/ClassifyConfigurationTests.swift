import ArriwaClassify
import Testing

/// `OpenAIClassifier.Configuration`: defaults, the environment, and a description without the key.
@Suite struct ClassifyConfigurationTests {
    @Test func fromEnvironmentReadsEveryVariable() throws {
        let configuration = try #require(OpenAIClassifier.Configuration.fromEnvironment([
            "ARRIWA_LLM_BASE_URL": "http://llm.internal:8000/v1/",
            "ARRIWA_LLM_MODEL": "qwen2.5-7b",
            "ARRIWA_LLM_FALLBACK_MODEL": "llama3.1-8b",
            "ARRIWA_LLM_API_KEY": "sk-env",
            "ARRIWA_LLM_TIMEOUT_SECONDS": "2.5",
            "UNRELATED": "x",
        ]))
        #expect(configuration.baseURL == "http://llm.internal:8000/v1/")
        #expect(configuration.endpoint == "http://llm.internal:8000/v1/chat/completions")
        #expect(configuration.model == "qwen2.5-7b")
        #expect(configuration.fallbackModel == "llama3.1-8b")
        #expect(configuration.apiKey == "sk-env")
        #expect(configuration.timeout == .milliseconds(2500))
    }

    @Test(arguments: [
        [:],
        ["ARRIWA_LLM_MODEL": "gpt-4o-mini"],
        ["ARRIWA_LLM_BASE_URL": "https://api.openai.com/v1"],
        ["ARRIWA_LLM_BASE_URL": "  ", "ARRIWA_LLM_MODEL": "gpt-4o-mini"],
        ["ARRIWA_LLM_BASE_URL": "https://api.openai.com/v1", "ARRIWA_LLM_MODEL": ""],
    ] as [[String: String]])
    func fromEnvironmentIsNilWithoutBaseURLOrModel(env: [String: String]) {
        #expect(OpenAIClassifier.Configuration.fromEnvironment(env) == nil)
    }

    @Test func fromEnvironmentDefaults() throws {
        let configuration = try #require(OpenAIClassifier.Configuration.fromEnvironment([
            "ARRIWA_LLM_BASE_URL": "https://api.openai.com/v1", "ARRIWA_LLM_MODEL": "gpt-4o-mini",
            "ARRIWA_LLM_FALLBACK_MODEL": "", "ARRIWA_LLM_TIMEOUT_SECONDS": "soon",
        ]))
        #expect(configuration.fallbackModel == nil)
        #expect(configuration.apiKey == nil)
        #expect(configuration.timeout == .seconds(8))
        #expect(configuration.endpoint == "https://api.openai.com/v1/chat/completions")
    }

    @Test func descriptionHidesTheKey() {
        let configuration = OpenAIClassifier.Configuration(model: "gpt-4o-mini", apiKey: "sk-secret-123")
        var dumped = ""
        dump(configuration, to: &dumped)
        for text in ["\(configuration)", String(reflecting: configuration), dumped] {
            #expect(!text.contains("sk-secret-123"))
            #expect(text.contains("gpt-4o-mini"))
        }
    }
}
