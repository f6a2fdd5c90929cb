import Testing
@testable import ArriwaCore

@Suite("Built-in functions")
struct FunctionTests {
    @Test("results", arguments: [
        ("size('héllo 👋🏽')", Value.int(7)),
        ("size(vars.tags)", .int(2)),
        ("size({'a': 1})", .int(1)),
        ("vars.name.size()", .int(3)),
        ("lower('ÀBC')", .string("àbc")),
        ("upper(vars.name)", .string("ANA")),
        ("'  x y \\n'.trim()", .string("x y")),
        ("contains(message.text, 'there')", .bool(true)),
        ("message.text.contains('nope')", .bool(false)),
        ("startsWith(message.text, 'Hell')", .bool(true)),
        ("message.text.endsWith('there')", .bool(true)),
        ("matches(message.text, '^hel+o', )".replacingOccurrences(of: ", )", with: ")"), .bool(false)),
        ("matches(lower(message.text), '^hel+o')", .bool(true)),
        ("message.text.matches('t.ere$')", .bool(true)),
        ("matches('+55 11 91234-5678', '^\\\\+55')", .bool(true)),
        ("matches('+55 11 91234-5678', r'^\\+55 \\d{2} \\d{4,5}-\\d{4}$')", .bool(true)),
        ("now()", .timestamp(1_700_000_600_000)),
        ("duration('1h30m')", .duration(5_400_000)),
        ("duration('500ms')", .duration(500)),
        ("duration('2d')", .duration(172_800_000)),
        ("hash('hello')", .string("2cf24dba5fb0a30e")),
        ("'hello'.hash()", .string("2cf24dba5fb0a30e")),
        ("hash('')", .string("e3b0c44298fc1c14")),
        ("hash(null)", .string("e3b0c44298fc1c14")),
        ("string(42)", .string("42")),
        ("string(2.0)", .string("2")),
        ("string(0.65)", .string("0.65")),
        ("string(true)", .string("true")),
        ("string(null)", .string("")),
        ("string(duration('90m'))", .string("1h 30m")),
        ("string(vars.deadline)", .string("2023-11-14T22:13:20Z")),
        ("string(vars.deadline + duration('250ms'))", .string("2023-11-14T22:13:20.250Z")),
        ("string(['a', 1, null])", .string("[\"a\",1,null]")),
        ("string({'b': 1, 'a': 'x'})", .string("{\"a\":\"x\",\"b\":1}")),
        ("int(3.9)", .int(3)),
        ("int(-3.9)", .int(-3)),
        ("int(' 42 ')", .int(42)),
        ("int(duration('1s'))", .int(1_000)),
        ("int(vars.deadline)", .int(1_700_000_000_000)),
        ("number('0.5')", .number(0.5)),
        ("number(3)", .number(3)),
        ("min(3, 2)", .int(2)),
        ("max(3, 2.5)", .number(3)),
        ("min(2, 2.5)", .number(2)),
        ("max(duration('1m'), duration('1h'))", .duration(3_600_000)),
        ("abs(-4)", .int(4)),
        ("abs(-0.5)", .number(0.5)),
        ("abs(-duration('1m'))", .duration(60_000)),
        ("has(vars.name)", .bool(true)),
        ("has(vars.empty)", .bool(false)),
        ("has(vars.missing)", .bool(false)),
        ("has(vars.tags[5])", .bool(false)),
        ("has(nothing.at.all)", .bool(false)),
        ("has(vars.name.deeper)", .bool(false)),
        ("default(vars.empty, 'x')", .string("x")),
        ("default(vars.missing, 'x')", .string("x")),
        ("default(vars.name, 1 / 0)", .string("Ana")),
        ("default(null, 5)", .int(5)),
        ("join(vars.tags, ', ')", .string("hot, vip")),
        ("vars.tags.join('|')", .string("hot|vip")),
        ("join([], ',')", .string("")),
        ("format_duration(duration('90m'))", .string("1h 30m")),
        ("format_duration(now() - session.started_at)", .string("10m")),
    ])
    func results(_ text: String, _ expected: Value) {
        #expect(exprValue(text) == expected, "\(text)")
    }

    @Test("runtime errors", arguments: [
        ("int('abc')", "cannot convert 'abc' to an int"),
        ("int(1e19)", "1e+19 does not fit in an int"),
        ("number('x')", "cannot convert 'x' to a number"),
        ("duration(vars.name)", "invalid duration 'Ana'"),
        ("matches('a', vars.name + '(')", "invalid regular expression 'Ana('"),
        ("abs(-9223372036854775808)", "integer overflow"),
        ("min('a', 'b')", "min() cannot compare a string and a string"),
        ("size(1)", "size() cannot take (int); size(string|list|map) -> int"),
        ("lower(1)", "lower() cannot take (int); lower(string) -> string"),
        ("frob(1)", "unknown function 'frob'"),
        ("size(1, 2)", "size() takes 1 argument(s), got 2"),
        ("has(1 + 1)", "has() needs a path"),
        ("default(1 / 0, 2)", "division by zero"),
        ("default(vars.tags[vars.retries], 'x')", "index 2 is out of range (2 elements)"),
    ])
    func errors(_ text: String, _ message: String) {
        #expect(exprEvalError(text)?.message == message, "\(text)")
    }

    @Test("default() falls back for null and for a path that does not resolve (like has())")
    func defaultSemantics() {
        #expect(exprValue("default(vars.name.x, 'y')") == .string("y"))
        #expect(exprValue("default(vars.tags[9], 'y')") == .string("y"))
        #expect(exprValue("default([1][0], 2)") == .int(1))
        #expect(exprValue("default(vars.retries, 0) + 1") == .int(3))
    }

    @Test("hash is SHA-256 of the rendered text, first 16 hex characters")
    func hash() {
        #expect(ExprInterpreter.hash("hello") == "2cf24dba5fb0a30e")
        #expect(exprValue("hash(42)") == exprValue("hash('42')"))
        #expect(exprValue("hash(message.text)") == .string(ExprInterpreter.hash("Hello there")))
        #expect(exprValue("hash('olá')") == .string("9b186e077c7c6d04"))
    }

    @Test("names are sorted and documented")
    func catalog() {
        #expect(ExprFunctions.names == ExprFunctions.names.sorted())
        #expect(ExprFunctions.names.count == 22)
        #expect(ExprFunctions.names.contains("next_step"))
        #expect(ExprFunctions.names.contains("format_duration"))
        for name in ExprFunctions.names {
            #expect(ExprFunctions.signatureDescription(name)?.hasPrefix(name + "(") == true, "\(name)")
        }
        #expect(ExprFunctions.signatureDescription("nope") == nil)
        #expect(ExprFunctions.signatureDescription("size")?.contains("x.size(...)") == true)
    }
}
