import Testing
@testable import ArriwaCore

@Suite("Type checker")
struct TypeCheckerTests {
    @Test("inferred types", arguments: [
        ("vars.retries + 1", ExprType.int),
        ("vars.retries + 0.5", .number),
        ("vars.retries / 2", .int),
        ("vars.score * 2", .number),
        ("vars.name + '!'", .string),
        ("vars.choice + '!'", .string),
        ("vars.choice", ExprFixture.q1),
        ("session.answers.Q1", ExprFixture.q1),
        ("session.answers['Q1']", ExprFixture.q1),
        ("session.history[0].text", .string),
        ("vars.tags[vars.retries]", .string),
        ("vars.counts[vars.name]", .int),
        ("vars.tags + ['x']", .list(.string)),
        ("now() - vars.deadline", .duration),
        ("now() - duration('1h')", .timestamp),
        ("vars.deadline + vars.wait", .timestamp),
        ("vars.wait * 2", .duration),
        ("vars.wait / 2", .duration),
        ("vars.wait + duration('5m')", .duration),
        ("vars.retries > 1 ? 'a' : 'b'", .string),
        ("vars.retries > 1 ? 1 : 2.5", .number),
        ("vars.retries > 1 ? null : 'x'", .string),
        ("[1, 2.5]", .list(.number)),
        ("[]", .list(.any)),
        ("{'a': 1, 'b': 2}", .map(.int)),
        ("vars.anything.deep[3].field", .any),
        ("tenant.whatever", .any),
        ("size(vars.tags)", .int),
        ("vars.name.size()", .int),
        ("min(vars.retries, 3)", .int),
        ("max(vars.retries, 2.5)", .number),
        ("min(vars.wait, duration('1m'))", .duration),
        ("abs(-vars.score)", .number),
        ("default(vars.name, 'there')", .string),
        ("int('42')", .int),
        ("number(vars.retries)", .number),
        ("join(vars.tags, ', ')", .string),
        ("format_duration(vars.wait)", .string),
        ("hash(message.text)", .string),
        ("has(vars.name)", .bool),
        ("message.text.matches('^hi')", .bool),
        ("!vars.opted_in", .bool),
        ("-vars.wait", .duration),
        ("vars.choice in ['later', 'no']", .bool),
        ("'vip' in vars.tags", .bool),
        ("'a' in vars.counts", .bool),
        ("'ell' in message.text", .bool),
    ])
    func inference(_ text: String, _ type: ExprType) {
        let result = exprCheck(text)
        #expect(result.issues == [], "\(text)")
        #expect(result.type == type, "\(text)")
    }

    @Test("undeclared paths carry the path's span and a hint")
    func undeclared() {
        let result = exprCheck("vars.retriez > 1 && vars.name == 'x'")
        #expect(result.issues.count == 1)
        let issue = result.issues.first
        #expect(issue?.code == .undeclared)
        #expect(issue?.span == ExprSpan(offset: 0, length: 12))
        #expect(issue?.message == "'vars' has no field 'retriez'")
        #expect(issue?.hint == "did you mean 'vars.retries'?")

        let root = exprCheck("var.name == 'x'").issues
        #expect(root.map(\.code) == [.undeclared])
        #expect(root.first?.message == "'var.name' is not declared")
        #expect(root.first?.hint == "did you mean 'vars'?")
        #expect(root.first?.span == ExprSpan(offset: 0, length: 8))

        let scalar = exprCheck("vars.name.length").issues.first
        #expect(scalar?.code == .typeMismatch)
        #expect(scalar?.message == "'vars.name' is a string and has no field 'length'")
        let method = exprCheck("vars.name.size").issues.first
        #expect(method?.hint == "did you mean vars.name.size()?")

        let nested = exprCheck("session.answers['Q9']").issues.first
        #expect(nested?.code == .undeclared)
        #expect(nested?.message == "'session.answers' has no field 'Q9'")
        #expect(nested?.hint == "did you mean 'session.answers.Q1'?")
        #expect(exprCheck("session.answers.zzz").issues.first?.hint == "fields: Q1, Q2")

        // A non-literal index ends the path: only `session.unknown` is reported, with its own span.
        let dynamic = exprCheck("session.unknown[vars.step]").issues
        #expect(dynamic.map(\.span) == [ExprSpan(offset: 0, length: 15)])

        // Undeclared inside has() is still reported (a typo there would make has() always false).
        #expect(exprCodes("has(vars.emial)") == [.undeclared])
    }

    @Test("type mismatches", arguments: [
        ("vars.retries == 'three'", "cannot compare int with string using '=='"),
        ("vars.name != 3", "cannot compare string with int using '!='"),
        ("vars.retries < 'a'", "cannot order int and string with '<'"),
        ("vars.deadline > vars.wait", "cannot order timestamp and duration with '>'"),
        ("vars.name - 1", "cannot apply '-' to string and int"),
        ("vars.name + 1", "cannot apply '+' to string and int"),
        ("vars.wait + 1", "cannot apply '+' to duration and int"),
        ("vars.deadline + vars.deadline", "cannot apply '+' to timestamp and timestamp"),
        ("vars.opted_in * 2", "cannot apply '*' to bool and int"),
        ("!vars.name", "'!' needs a bool, found string"),
        ("-vars.name", "'-' needs a number or a duration, found string"),
        ("vars.name && true", "'&&' needs bool operands, found string"),
        ("true || 1", "'||' needs bool operands, found int"),
        ("null && true", "'&&' needs bool operands, found null"),
        ("!null", "'!' needs a bool, found null"),
        ("null ? 1 : 2", "the condition before '?' must be a bool, found null"),
        ("vars.retries ? 1 : 2", "the condition before '?' must be a bool, found int"),
        ("vars.opted_in ? 1 : 'x'", "the branches of '?:' have different types: int and string"),
        ("1 in vars.tags", "cannot look for a int in a list<string>"),
        ("1 in vars.counts", "map keys are strings; cannot look for a int"),
        ("1 in vars.retries", "'in' needs a list, map or string on the right, found int"),
        ("vars.tags['x']", "a list index must be an int, found string"),
        ("vars.counts[1]", "a map key must be a string, found int"),
        ("vars.name[0]", "cannot index a string"),
        ("vars.name[vars.retries]", "cannot index a string"),
        ("vars.tags.first", "'vars.tags' is a list<string> and has no field 'first'"),
        ("{1: 'a'}", "map keys must be strings, found int"),
        ("[vars.name][0].field", "string has no field 'field'"),
    ])
    func mismatches(_ text: String, _ message: String) {
        let issues = exprCheck(text).issues
        #expect(issues.map(\.code) == [.typeMismatch], "\(text): \(issues)")
        #expect(issues.first?.message == message)
    }

    @Test("mismatch span covers the comparison and the hint names the path")
    func mismatchSpan() {
        let issue = exprCheck("vars.opted_in && vars.retries == 'three'").issues.first
        #expect(issue?.span == ExprSpan(offset: 17, length: 23))
        #expect(issue?.hint == "'vars.retries' is int")
    }

    @Test("expected type")
    func expected() {
        #expect(exprCheck("vars.retries > 1", expected: .bool).issues == [])
        let issue = exprCheck("vars.name", expected: .bool).issues.first
        #expect(issue?.code == .typeMismatch)
        #expect(issue?.message == "expected bool, found string")
        #expect(exprCodes("vars.retries", expected: .number) == [])
        #expect(exprCodes("vars.choice", expected: .string) == [])
        #expect(exprCodes("vars.name", expected: ExprFixture.q1) == [.typeMismatch])
        #expect(exprCodes("'later'", expected: ExprFixture.q1) == [])
        #expect(exprCodes("'maybe'", expected: ExprFixture.q1) == [.unknownOption])
        #expect(exprCodes("vars.anything", expected: .bool) == [])
        #expect(exprCodes("null", expected: .int) == [])
    }

    @Test("enumeration literals are checked against the options")
    func unknownOption() {
        let issues = exprCheck("session.answers.Q1 == 'yes'").issues
        #expect(issues.count == 1)
        #expect(issues.first?.code == .unknownOption)
        #expect(issues.first?.message == "'yes' is not a Q1 option; allowed: later, no, yes_now")
        #expect(issues.first?.hint == "did you mean 'yes_now'?")
        #expect(issues.first?.span == ExprSpan(offset: 22, length: 5))

        #expect(exprCodes("'nope' != vars.choice") == [.unknownOption])
        #expect(exprCodes("vars.choice == 'later'") == [])
        #expect(exprCodes("vars.choice == vars.name") == [])

        let list = exprCheck("vars.choice in ['later', 'soon', 'no', 'never']").issues
        #expect(list.map(\.code) == [.unknownOption, .unknownOption])
        #expect(list.map(\.span) == [ExprSpan(offset: 25, length: 6), ExprSpan(offset: 39, length: 7)])
        #expect(list.last?.hint == nil)
    }

    @Test("unknown functions get a did-you-mean hint")
    func unknownFunction() {
        let issue = exprCheck("lenght(vars.name) > 2").issues.first
        #expect(issue?.code == .unknownFunction)
        #expect(issue?.message == "unknown function 'lenght'")
        #expect(issue?.span == ExprSpan(offset: 0, length: 17))
        #expect(exprCheck("startswith(vars.name, 'A')").issues.first?.hint == "did you mean 'startsWith'?")
        #expect(exprCheck("formatDuration(vars.wait)").issues.first?.hint == "did you mean 'format_duration'?")
        #expect(exprCheck("len(vars.name)").issues.first?.hint == "did you mean 'size'?")
        #expect(exprCheck("vars.name.toUpperCase()").issues.first?.hint == "did you mean 'upper'?")
        #expect(exprCheck("frobnicate(1)").issues.first?.hint == nil)
        // Arguments of unknown functions are still checked.
        #expect(exprCodes("frobnicate(vars.nope)") == [.unknownFunction, .undeclared])
    }

    @Test("function arity and argument types", arguments: [
        ("size()", "size() takes 1 argument, got 0"),
        ("size(vars.name, 1)", "size() takes 1 argument, got 2"),
        ("now(1)", "now() takes 0 arguments, got 1"),
        ("contains(vars.name)", "contains() takes 2 arguments, got 1"),
        ("size(vars.retries)", "size() expects a string, list or map, found int"),
        ("lower(vars.retries)", "lower() expects a string, found int"),
        ("contains(vars.name, 1)", "contains() expects a string as argument 2, found int"),
        ("vars.retries.startsWith('1')", "startsWith() expects a string as argument 1, found int"),
        ("matches(vars.name, '(unclosed')", "invalid regular expression '(unclosed'"),
        ("duration('15 minutes')", "invalid duration '15 minutes'"),
        ("duration('')", "invalid duration ''"),
        ("duration(15)", "duration() expects a string, found int"),
        ("int(vars.tags)", "int() expects a number, string, duration or timestamp, found list<string>"),
        ("number(vars.opted_in)", "number() expects a number or string, found bool"),
        ("min(vars.retries, vars.wait)", "min() needs two arguments of the same kind, found int and duration"),
        ("max(vars.name, 1)", "max() expects a number, duration or timestamp as argument 1, found string"),
        ("abs(vars.name)", "abs() expects a number or duration, found string"),
        ("default(vars.retries, 'none')", "default() fallback is string but the value is int"),
        ("join(vars.name, ',')", "join() expects a list of strings as argument 1, found string"),
        ("join([1, 2], ',')", "join() expects a list of strings as argument 1, found list<int>"),
        ("format_duration(vars.retries)", "format_duration() expects a duration, found int"),
        ("has(vars.name + 'x')", "has() needs a path such as has(vars.email)"),
        ("has(size(vars.tags))", "has() needs a path such as has(vars.email)"),
        ("vars.name.has()", "has() cannot be called as a method"),
    ])
    func functionArguments(_ text: String, _ message: String) {
        let issues = exprCheck(text).issues
        #expect(issues.map(\.code) == [.functionArguments], "\(text): \(issues)")
        #expect(issues.first?.message == message)
    }

    @Test("literal regexes with nested repetition are rejected", arguments: [
        ("(a+)+$", true), ("(\\w*)*x", true), ("(a{1,3})+", true), ("((ab)*c)+", true), ("([0-9]+\\s?)+", true),
        ("^hel+o", false), ("(ab)+", false), ("(a|b)+", false), ("^\\+55", false), ("[(+*)]+", false),
        ("(\\d+)?", false), ("\\(a+\\)+", false), ("^(sim|s|yes|y)$", false),
    ])
    func nestedRepetition(_ pattern: String, _ rejected: Bool) {
        #expect(ExprRegexLint.hasNestedRepetition(pattern) == rejected, "\(pattern)")
        let issues = exprCheck("message.text.matches(r'\(pattern)')").issues
        #expect(issues.map(\.code) == (rejected ? [.functionArguments] : []), "\(pattern)")
    }

    @Test("invalid literal arguments point at the literal")
    func literalArgumentSpans() {
        #expect(exprCheck("duration('1x')").issues.first?.span == ExprSpan(offset: 9, length: 4))
        #expect(exprCheck("message.text.matches('[a-')").issues.first?.span == ExprSpan(offset: 21, length: 5))
        #expect(exprCheck("duration('1h30m') > duration('2d')").issues == [])
    }

    @Test("issues inside sub-expressions are not repeated upward")
    func noCascade() {
        #expect(exprCodes("vars.nope + 1 > 2 && vars.nope2") == [.undeclared, .undeclared])
        #expect(exprCodes("size(vars.nope) == 1") == [.undeclared])
    }

    @Test("templates: each interpolation is checked; collections need join")
    func templates() throws {
        let checker = TypeChecker(environment: ExprFixture.environment)
        let ok = try Template.parse("Hi ${session.profile_name}, ${vars.retries} tries, ${vars.wait}, ${vars.choice}")
        #expect(checker.check(ok) == [])
        let bad = try Template.parse("Tags: ${vars.tags} / ${vars.nope} / ${session.answers}")
        let issues = checker.check(bad)
        #expect(issues.map(\.code) == [.typeMismatch, .undeclared, .typeMismatch])
        #expect(issues.first?.hint == "use join(list, ', ')")
        #expect(issues.map(\.span.offset) == [8, 23, 38])
    }

    @Test("ExprType assignability and descriptions")
    func assignability() {
        #expect(ExprType.int.isAssignable(to: .number))
        #expect(!ExprType.number.isAssignable(to: .int))
        #expect(ExprFixture.q1.isAssignable(to: .string))
        #expect(!ExprType.string.isAssignable(to: ExprFixture.q1))
        #expect(ExprType.null.isAssignable(to: .timestamp))
        #expect(ExprType.any.isAssignable(to: .list(.int)))
        #expect(ExprType.list(.int).isAssignable(to: .any))
        #expect(ExprType.list(.int).isAssignable(to: .list(.number)))
        #expect(!ExprType.list(.number).isAssignable(to: .list(.int)))
        #expect(ExprType.record(["a": .int, "b": .string]).isAssignable(to: .record(["a": .number])))
        #expect(!ExprType.record(["a": .int]).isAssignable(to: .record(["a": .int, "b": .string])))
        #expect(ExprType.record(["a": .int]).isAssignable(to: .map(.number)))
        #expect(ExprType.makeEnumeration(name: "x", values: ["a"]).isAssignable(to: .makeEnumeration(name: "y", values: ["b", "a"])))
        #expect(!ExprType.makeEnumeration(name: "x", values: ["a", "c"]).isAssignable(to: .makeEnumeration(name: "y", values: ["a"])))
        #expect(!ExprType.duration.isAssignable(to: .timestamp))
        #expect(ExprType.makeEnumeration(name: "Q1 option", values: ["b", "a", "b"]) == .enumeration(name: "Q1 option", values: ["a", "b"]))
        #expect(ExprType.map(.list(.int)).description == "map<list<int>>")
        #expect(ExprType.record(["b": .int, "a": .string]).description == "{a: string, b: int}")
        #expect(ExprType.enumeration(name: "", values: ["a", "b"]).description == "one of a|b")
    }

    @Test("StaticTypeEnvironment walks records, maps and lists")
    func staticEnvironment() {
        let env = ExprFixture.environment
        #expect(env.type(of: ["vars", "tags", "3"]) == .string)
        #expect(env.type(of: ["vars", "tags", "x"]) == nil)
        #expect(env.type(of: ["vars", "counts", "anything"]) == .int)
        #expect(env.type(of: ["tenant", "a", "b"]) == .any)
        #expect(env.type(of: ["nope"]) == nil)
        #expect(env.type(of: []) == nil)
        #expect(env.rootNames == ["message", "session", "tenant", "vars"])
    }
}
