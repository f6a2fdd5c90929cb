import Testing
@testable import ArriwaCore

@Suite("Templates")
struct TemplateTests {
    private func render(_ text: String, budget: Int = 10_000) throws -> String {
        try Evaluator.render(Template.parse(text), in: ExprFixture.context(budget: budget))
    }

    private func templateError(_ text: String) -> ExprError? {
        do {
            _ = try Template.parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test("parts, offsets and template-relative spans")
    func parts() throws {
        let template = try Template.parse("Hello ${session.profile_name}, step ${ vars.step }")
        #expect(template.parts.count == 4)
        #expect(!template.isPlain)
        guard template.parts.count == 4,
              case .literal(let first) = template.parts[0],
              case .expr(let name, let nameOffset) = template.parts[1],
              case .literal(let middle) = template.parts[2],
              case .expr(let step, let stepOffset) = template.parts[3]
        else {
            Issue.record("unexpected parts \(template.parts)")
            return
        }
        #expect(first == "Hello ")
        #expect(middle == ", step ")
        #expect(nameOffset == 8)
        #expect(name.span == ExprSpan(offset: 8, length: 20))
        #expect(stepOffset == 38)
        #expect(step.span == ExprSpan(offset: 39, length: 9))
        #expect(template.paths.map(\.description) == ["session.profile_name", "vars.step"])
        #expect(!template.usesNow)
    }

    @Test("plain text and escapes")
    func plain() throws {
        #expect(try Template.parse("").parts == [])
        #expect(try Template.parse("").isPlain)
        #expect(try Template.parse("Price: $5 and $$ and $").parts == [.literal("Price: $5 and $$ and $")])
        #expect(try Template.parse("literal $${vars.x} here").parts == [.literal("literal ${vars.x} here")])
        #expect(try Template.parse("literal $${vars.x} here").isPlain)
        // `$${` always escapes, so `$$${x}` is "$" + literal "${x}"; write ${'$'}${x} for "$" + value.
        #expect(try render("$${a} ${vars.name} $$${vars.name}") == "${a} Ana $${vars.name}")
        #expect(try render("${'$'}${vars.retries}") == "$2")
        #expect(try render("{ not an expression }") == "{ not an expression }")
    }

    @Test("rendering values")
    func rendering() throws {
        #expect(try render("Hello ${session.profile_name}, step ${vars.step}") == "Hello Ana Lima, step Q1")
        #expect(try render("${vars.retries}/${vars.score}/${vars.opted_in}/${vars.empty}/${vars.wait}") == "2/0.75/true//15m")
        #expect(try render("${session.id}-q1-${hash(message.text)}") == "s-42-q1-\(ExprInterpreter.hash("Hello there"))")
        #expect(try render("${'}'}${\"{\"}") == "}{")
        #expect(try render("${ {'a': 'map'}['a'] }") == "map")
        #expect(try render("${vars.retries > 1 ? 'many' : 'few'} tries") == "many tries")
        #expect(try render("at ${vars.deadline}") == "at 2023-11-14T22:13:20Z")
        #expect(try render("${vars.tags}") == "[\"hot\",\"vip\"]")
        #expect(try render("héllo 👋🏽 ${upper(vars.name)}") == "héllo 👋🏽 ANA")
    }

    @Test("syntax errors", arguments: [
        ("Hi ${vars.x", "unterminated '${' at 3: expected '}'", 3, 2),
        ("Hi ${", "unterminated '${' at 3: expected an expression and '}'", 3, 2),
        ("a ${} b", "empty '${}' at 2", 2, 3),
        ("a ${ } b", "empty '${}' at 2", 2, 4),
        ("${1 +}", "expected an expression, found '}'", 5, 1),
        ("x${a b}", "expected '}' to close '${' at 1, found 'b'", 5, 1),
        ("${'}", "unterminated string", 2, 2),
        ("ok ${vars.x} ${a # b}", "unexpected character '#'", 17, 1),
    ])
    func syntaxErrors(_ text: String, _ message: String, _ offset: Int, _ length: Int) {
        let error = templateError(text)
        #expect(error?.message == message, "\(text)")
        #expect(error?.span == ExprSpan(offset: offset, length: length), "\(text)")
    }

    @Test("evaluation errors carry template-relative spans")
    func evaluationErrors() throws {
        let template = try Template.parse("Dear ${vars.nope}")
        #expect(throws: EvaluationError(message: "unknown path 'vars.nope': 'vars' has no key 'nope'", span: ExprSpan(offset: 7, length: 9))) {
            try Evaluator.render(template, in: ExprFixture.context())
        }
        #expect(throws: EvaluationError(message: "evaluation budget exceeded", span: ExprSpan(offset: 6, length: 12))) {
            try render("${1}${vars.retries + 1}", budget: 2)
        }
    }

    @Test("rendered text is capped at 64 KiB")
    func cap() throws {
        let big = String(repeating: "x", count: 40_000)
        let resolver = StaticValueResolver(roots: ["vars": .map(["s": .string(big)])])
        let context = EvaluationContext(resolver: resolver, now: 0)
        #expect(try Evaluator.render(Template.parse("${vars.s}"), in: context).count == 40_000)
        #expect(throws: EvaluationError.self) {
            try Evaluator.render(Template.parse("${vars.s}${vars.s}"), in: context)
        }
        #expect(templateError(String(repeating: "a", count: 65_537))?.message == "text is too long (65537 characters; the maximum is 65536)")
    }
}
