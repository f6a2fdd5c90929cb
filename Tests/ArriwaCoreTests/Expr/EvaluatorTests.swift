import Testing
@testable import ArriwaCore

@Suite("Evaluator")
struct EvaluatorTests {
    @Test("values", arguments: [
        ("1 + 2 * 3", Value.int(7)),
        ("(1 + 2) * 3", .int(9)),
        ("7 / 2", .int(3)),
        ("-7 / 2", .int(-3)),
        ("7 % 3", .int(1)),
        ("-7 % 3", .int(-1)),
        ("7.0 / 2", .number(3.5)),
        ("1 + 0.5", .number(1.5)),
        ("5.5 % 2", .number(1.5)),
        ("-vars.retries", .int(-2)),
        ("vars.score * 4", .number(3)),
        ("'a' + 'b' + 'c'", .string("abc")),
        ("1 == 1.0", .bool(true)),
        ("2 > 1.5", .bool(true)),
        ("'abc' < 'abd'", .bool(true)),
        ("'b' >= 'a'", .bool(true)),
        ("1 != 2", .bool(true)),
        ("null == null", .bool(true)),
        ("vars.empty == null", .bool(true)),
        ("vars.name == null", .bool(false)),
        ("[1, 2] == [1, 2.0]", .bool(true)),
        ("{'a': [1]} == {'a': [1]}", .bool(true)),
        ("{'a': 1} != {'b': 1}", .bool(true)),
        ("'vip' in vars.tags", .bool(true)),
        ("'cold' in vars.tags", .bool(false)),
        ("2 in [1, 2.0, 3]", .bool(true)),
        ("'a' in vars.counts", .bool(true)),
        ("'z' in vars.counts", .bool(false)),
        ("'there' in message.text", .bool(true)),
        ("'' in 'abc'", .bool(true)),
        ("vars.choice in ['later', 'no']", .bool(true)),
        ("true ? 'y' : 'n'", .string("y")),
        ("vars.retries > 5 ? 'y' : 'n'", .string("n")),
        ("!vars.opted_in", .bool(false)),
        ("vars.tags[1]", .string("vip")),
        ("vars.tags[vars.retries - 1]", .string("vip")),
        ("session.answers['Q1']", .string("yes_now")),
        ("session.answers[vars.step]", .string("yes_now")),
        ("session.history[0].text", .string("hi")),
        ("[10, 20, 30][2]", .int(30)),
        ("{'k': 'v'}['k']", .string("v")),
        ("{'k': {'n': 1}}.k.n", .int(1)),
        ("[1] + [2, 3]", .list([.int(1), .int(2), .int(3)])),
        ("-9223372036854775808", .int(.min)),
        ("vars.deadline + vars.wait", .timestamp(1_700_000_900_000)),
        ("vars.wait + vars.deadline", .timestamp(1_700_000_900_000)),
        ("vars.deadline - duration('1s')", .timestamp(1_699_999_999_000)),
        ("now() - session.started_at", .duration(600_000)),
        ("now() - session.started_at >= duration('10m')", .bool(true)),
        ("now() - session.started_at > duration('10m')", .bool(false)),
        ("now() > vars.deadline", .bool(true)),
        ("duration('1h') - duration('30m')", .duration(1_800_000)),
        ("duration('15m') * 2", .duration(1_800_000)),
        ("3 * duration('1s')", .duration(3_000)),
        ("duration('1h') / 4", .duration(900_000)),
        ("-duration('1m')", .duration(-60_000)),
    ])
    func values(_ text: String, _ expected: Value) {
        #expect(exprValue(text) == expected, "\(text)")
    }

    @Test("short-circuit: the right side is not evaluated when the left decides")
    func shortCircuit() {
        #expect(exprValue("false && (1 / 0 == 1)") == .bool(false))
        #expect(exprValue("true || (1 / 0 == 1)") == .bool(true))
        #expect(exprValue("false && vars.missing") == .bool(false))
        #expect(exprValue("true ? 1 : 1 / 0") == .int(1))
        #expect(exprEvalError("true && (1 / 0 == 1)")?.message == "division by zero")
        #expect(exprEvalError("false || vars.missing")?.message == "unknown path 'vars.missing': 'vars' has no key 'missing'")
    }

    @Test("arithmetic errors carry the operator's span")
    func arithmeticErrors() {
        let division = exprEvalError("vars.retries / (vars.retries - 2)")
        #expect(division?.message == "division by zero")
        // Spans do not include enclosing parentheses.
        #expect(division?.span == ExprSpan(offset: 0, length: 32))
        #expect(exprEvalError("1 % 0")?.message == "division by zero")
        #expect(exprEvalError("1.5 / 0")?.message == "division by zero")
        #expect(exprEvalError("1.5 % 0.0")?.message == "division by zero")
        #expect(exprEvalError("duration('1h') / 0")?.message == "division by zero")
        #expect(exprEvalError("vars.big + 1")?.message == "integer overflow")
        #expect(exprEvalError("vars.big * 2")?.message == "integer overflow")
        #expect(exprEvalError("-vars.big - 2")?.message == "integer overflow")
        #expect(exprEvalError("-(-9223372036854775808)")?.message == "integer overflow")
        #expect(exprEvalError("-9223372036854775808 / -1")?.message == "integer overflow")
        #expect(exprEvalError("-9223372036854775808 % -1")?.message == "integer overflow")
        #expect(exprEvalError("1e308 * 10")?.message == "number result is not finite")
        #expect(exprEvalError("duration('100000000d') * 1000000")?.message == "duration overflow")
        #expect(exprEvalError("vars.deadline + duration('106751991167d')")?.message == "timestamp overflow")
        #expect(exprValue("vars.big - 1") == .int(Int64.max - 1))
    }

    @Test("runtime type errors")
    func typeErrors() {
        #expect(exprEvalError("vars.name + 1")?.message == "cannot apply '+' to a string and a int")
        #expect(exprEvalError("!vars.name")?.message == "cannot apply '!' to a string")
        #expect(exprEvalError("vars.name && true")?.message == "'&&' needs bool operands")
        #expect(exprEvalError("vars.retries ? 1 : 2")?.message == "the condition before '?' is not a bool")
        #expect(exprEvalError("vars.name < 1")?.message == "cannot order a string and a int")
        #expect(exprEvalError("1 in 2")?.message == "cannot look for a int in a int")
        #expect(exprEvalError("{1: 2}")?.message == "map keys must be strings")
        #expect(exprEvalError("{'a': 1, 'a': 2}")?.message == "duplicate map key 'a'")
        #expect(exprEvalError("vars.empty + 1")?.message == "cannot apply '+' to a null and a int")
        #expect(exprEvalError("'1' == 1") == nil)
        #expect(exprValue("'1' == 1") == .bool(false))
    }

    @Test("paths and indexing errors")
    func pathErrors() {
        let unknown = exprEvalError("vars.retries > 1 && nothing.here")
        #expect(unknown?.message == "unknown path 'nothing.here'")
        #expect(unknown?.span == ExprSpan(offset: 20, length: 12))
        #expect(exprEvalError("vars.tags[2]")?.message == "index 2 is out of range for 'vars.tags' (2 elements)")
        #expect(exprEvalError("vars.tags[vars.retries]")?.message == "index 2 is out of range (2 elements)")
        #expect(exprEvalError("vars.tags[-1]")?.message == "index -1 is out of range (2 elements)")
        #expect(exprEvalError("[1][1]")?.message == "index 1 is out of range (1 elements)")
        #expect(exprEvalError("vars.name.first")?.message == "unknown path 'vars.name.first': 'vars.name' is string")
        #expect(exprEvalError("vars.tags['x']")?.message == "index x is out of range for 'vars.tags' (2 elements)")
        #expect(exprEvalError("{'a': 1}.b")?.message == "no key 'b' in map")
        #expect(exprEvalError("{'a': 1}['b']")?.message == "no key 'b' in map")
        #expect(exprEvalError("[1]['a']")?.message == "cannot index a list with a string")
        #expect(exprEvalError("'abc'.x")?.message == "cannot read field 'x' of a string")
    }

    @Test("the resolver is asked for the longest known prefix")
    func resolverPrefixes() throws {
        struct DeepResolver: ValueResolver {
            func value(of path: [String]) -> Value? {
                switch path {
                case ["manifest", "steps", "Q1", "options"]: return .list([.map(["id": .string("yes")])])
                case ["manifest"]: return .map(["name": .string("root")])
                default: return nil
                }
            }
        }
        let context = EvaluationContext(resolver: DeepResolver(), now: 0)
        #expect(try Evaluator.evaluate(ExprParser.parse("manifest.steps.Q1.options[0].id"), in: context) == .string("yes"))
        #expect(try Evaluator.evaluate(ExprParser.parse("manifest.name"), in: context) == .string("root"))
        #expect(try Evaluator.evaluate(ExprParser.parse("has(manifest.steps.Q2)"), in: context) == .bool(false))
    }

    @Test("budget: each node costs one unit")
    func budget() throws {
        let expr = try ExprParser.parse("1 + 2")
        let resolver = StaticValueResolver()
        #expect(try Evaluator.evaluate(expr, in: EvaluationContext(resolver: resolver, now: 0, budget: 3)) == .int(3))
        #expect(throws: EvaluationError(message: "evaluation budget exceeded", span: ExprSpan(offset: 4, length: 1))) {
            try Evaluator.evaluate(expr, in: EvaluationContext(resolver: resolver, now: 0, budget: 2))
        }
        // A huge (but parseable) expression: 1,000 list elements.
        let huge = "size([" + Array(repeating: "1 + 1", count: 500).joined(separator: ", ") + "]) > 0"
        #expect(huge.count < 4096)
        #expect(exprEvalError(huge, budget: 1_000)?.message == "evaluation budget exceeded")
        #expect(exprValue(huge) == .bool(true))
    }

    @Test("budget: produced text costs one unit per KiB, strings are capped at 64 KiB")
    func textBudget() throws {
        let resolver = StaticValueResolver(roots: ["vars": .map(["s": .string(String(repeating: "a", count: 20_000))])])
        let expr = try ExprParser.parse("vars.s + vars.s + vars.s")
        // 5 nodes + 39 units for the 40,000-byte string + 58 for the 60,000-byte one.
        #expect(try Evaluator.evaluate(expr, in: EvaluationContext(resolver: resolver, now: 0, budget: 102)) == .string(String(repeating: "a", count: 60_000)))
        #expect(throws: EvaluationError.self) {
            try Evaluator.evaluate(expr, in: EvaluationContext(resolver: resolver, now: 0, budget: 101))
        }
        let tooLong = try ExprParser.parse("vars.s + vars.s + vars.s + vars.s")
        #expect(throws: EvaluationError(message: "string result is longer than 64 KiB", span: ExprSpan(offset: 0, length: 33))) {
            try Evaluator.evaluate(tooLong, in: EvaluationContext(resolver: resolver, now: 0))
        }
        let joined = try ExprParser.parse("join([vars.s, vars.s, vars.s, vars.s], '')")
        #expect(throws: EvaluationError.self) {
            try Evaluator.evaluate(joined, in: EvaluationContext(resolver: resolver, now: 0))
        }
    }

    @Test("constant folding")
    func constantFolding() throws {
        #expect(Evaluator.constantValue(of: try ExprParser.parse("1 + 2 > 2")) == .bool(true))
        #expect(Evaluator.constantValue(of: try ExprParser.parse("duration('1h') > duration('90m')")) == .bool(false))
        #expect(Evaluator.constantValue(of: try ExprParser.parse("vars.x > 1")) == nil)
        #expect(Evaluator.constantValue(of: try ExprParser.parse("now() > now()")) == nil)
        #expect(Evaluator.constantValue(of: try ExprParser.parse("1 / 0 == 0")) == nil)
    }

    @Test("the evaluator never reads the clock")
    func nowIsPassedIn() throws {
        let expr = try ExprParser.parse("now()")
        #expect(try Evaluator.evaluate(expr, in: EvaluationContext(resolver: StaticValueResolver(), now: 42)) == .timestamp(42))
    }
}
