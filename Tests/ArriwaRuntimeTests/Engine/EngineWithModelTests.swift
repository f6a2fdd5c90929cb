import ArriwaClassify
import ArriwaCore
import ArriwaRuntime
import ArriwaTestSupport
import AsyncHTTPClient
import Testing

/// The engine, the runtime and the classifier chain together: an answer the rules cannot place
/// goes to the (fake) model over HTTP between two engine calls, and the turn completes with it.
@Suite struct EngineWithModelTests {
    @Test func vagueAnswerIsClassifiedByTheModelAndRecorded() async throws {
        let program = try Harness.program()
        try await withFakeModel { server, client in
            await server.enqueue(.classification(validity: "valid", confidence: 0.86, answer: "whitening", qualityScore: 0.7))
            let chain = ClassifierChain(model: OpenAIClassifier(configuration: ClassifyFixtures.configuration(server), httpClient: client))
            let rt = Harness.runtime(program, classify: { await chain.classify($0) })
            _ = await rt.inbound(phone: "+15550004444", text: "Hi")
            let turn = await rt.inbound(phone: "+15550004444", text: "I'd like my smile brighter")
            #expect(turn.events == ["QUALIFY_Q1"])
            #expect(turn.emissions.first?.answer == "whitening")
            #expect(turn.emissions.first?.confidence == 0.86)
            let requests = await server.requests()
            #expect(requests.count == 1)
            #expect(requests.first?.message(role: "user")?.contains("I'd like my smile brighter") == true)
            // A tap is certain: the model is not asked again.
            _ = await rt.inbound(phone: "+15550004444", kind: .list, text: "", replyID: "this_week")
            #expect(await server.requests().count == 1)
        }
    }

    @Test func failingModelFallsBackToTheRulesAnswer() async throws {
        let program = try Harness.program()
        try await withFakeModel { server, client in
            await server.setDefaultReply(.error(status: 503, message: "overloaded"))
            let chain = ClassifierChain(model: OpenAIClassifier(configuration: ClassifyFixtures.configuration(server), httpClient: client))
            let rt = Harness.runtime(program, classify: { await chain.classify($0) })
            _ = await rt.inbound(phone: "+15550004445", text: "Hi")
            let turn = await rt.inbound(phone: "+15550004445", text: "I'd like my smile brighter")
            // The rules call it noise: a NEG event and a re-prompt, never a crash or a lost turn.
            #expect(turn.events == ["NEG_QUALIFY_Q1"])
            #expect(turn.texts == ["Sorry, I didn't get that. Which treatment do you need?"])
        }
    }
}
