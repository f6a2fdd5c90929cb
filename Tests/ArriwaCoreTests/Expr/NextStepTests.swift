import Testing
@testable import ArriwaCore

/// next_step(step, answer) reads the manifest router the engine exposes as manifest.next.<step>.<answer>.
@Suite struct NextStepTests {
    let resolver = StaticValueResolver(roots: [
        "manifest": .map(["next": .map([
            "Q2": .map(["researching": .string("reject"), "this_week": .string("Q3")]),
        ])]),
        "vars": .map(["step": .string("Q2")]),
        "message": .map(["answer": .string("researching")]),
    ])

    func evaluate(_ text: String) throws -> Value {
        let expr = try ExprParser.parse(text)
        return try Evaluator.evaluate(expr, in: EvaluationContext(resolver: resolver, now: 0))
    }

    @Test("routes by the answer") func routes() throws {
        #expect(try evaluate("next_step(vars.step, message.answer)") == .string("reject"))
        #expect(try evaluate("next_step('Q2', 'this_week')") == .string("Q3"))
    }

    @Test("an answer the router does not know is an evaluation error naming the step") func unknownAnswer() {
        #expect(throws: EvaluationError.self) { try evaluate("next_step('Q2', 'never')") }
        do {
            _ = try evaluate("next_step('Q2', 'never')")
        } catch let error as EvaluationError {
            #expect(error.message.contains("Q2"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("type checking: both arguments must be strings") func typeCheck() throws {
        let checker = TypeChecker(environment: StaticTypeEnvironment(roots: ["vars": .record(["n": .int])]))
        let (_, issues) = checker.check(try ExprParser.parse("next_step(vars.n, 'a')"))
        #expect(issues.map(\.code) == [.functionArguments])
    }
}
