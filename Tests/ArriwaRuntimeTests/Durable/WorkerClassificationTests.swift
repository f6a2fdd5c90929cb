import ArriwaCore
import ArriwaRuntime
import ArriwaStore
import Testing

/// The one call out during a turn: the engine asks, the worker classifies outside any commit and
/// runs the engine again with the answer.
@Suite struct WorkerClassificationTests {
    actor Calls {
        var inputs: [String] = []
        func record(_ input: String) { inputs.append(input) }
    }

    @Test func theWorkerAsksTheClassifierAndCommitsItsAnswer() async throws {
        let calls = Calls()
        let h = try await DurableHarness(classify: { request in
            await calls.record(request.input)
            return Classification(validity: .valid, confidence: 0.86, answer: "whitening", qualityScore: 0.7, source: "llm:fake")
        })
        try await h.say("Hi")
        try await h.settle()
        try await h.say("I'd like my smile brighter")
        try await h.settle()
        #expect(await calls.inputs == ["I'd like my smile brighter"])
        #expect(try await h.session()?.answers["Q1"] == "whitening")
        let events = try await h.store.eventLog(tenant: DurableHarness.tenant, sessionID: nil, limit: 100)
        #expect(events.map(\.event).contains("QUALIFY_Q1"))
        #expect(await h.store.leases.commitAttempts.values.allSatisfy { $0 == 1 }, "one commit per entry")
    }

    @Test func aClassifierSlowerThanItsTimeoutLeavesTheRulesAnswer() async throws {
        let h = try await DurableHarness(classify: { _ in
            try? await Task.sleep(for: .seconds(30))
            return Classification(validity: .valid, confidence: 0.9, answer: "whitening")
        }, classificationTimeout: .milliseconds(50))
        try await h.say("Hi")
        try await h.settle()
        try await h.say("I'd like my smile brighter")
        try await h.settle()
        // The rules call it noise: a re-prompt, the turn is not lost.
        #expect(await h.sent().last?.message.content.body == "Sorry, I didn't get that. Which treatment do you need?")
        let events = try await h.store.eventLog(tenant: DurableHarness.tenant, sessionID: nil, limit: 100)
        #expect(events.map(\.event).contains("NEG_QUALIFY_Q1"))
    }
}
