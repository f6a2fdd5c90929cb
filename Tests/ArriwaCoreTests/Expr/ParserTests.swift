import Testing
@testable import ArriwaCore

@Suite("Expression parser")
struct ParserTests {
    @Test("precedence and associativity", arguments: [
        ("1 + 2 * 3", "(1 + (2 * 3))"),
        ("1 * 2 + 3", "((1 * 2) + 3)"),
        ("1 - 2 - 3", "((1 - 2) - 3)"),
        ("8 / 4 / 2", "((8 / 4) / 2)"),
        ("7 % 3 * 2", "((7 % 3) * 2)"),
        ("(1 + 2) * 3", "((1 + 2) * 3)"),
        ("a || b && c", "(a || (b && c))"),
        ("a && b || c", "((a && b) || c)"),
        ("a || b || c", "((a || b) || c)"),
        ("a == b && c != d", "((a == b) && (c != d))"),
        ("1 + 2 < 3 * 4", "((1 + 2) < (3 * 4))"),
        ("a < b == c", "((a < b) == c)"),
        ("x in [1, 2] && y", "((x in [1, 2]) && y)"),
        ("x + 1 in l", "((x + 1) in l)"),
        ("!a && b", "((!a) && b)"),
        ("!!a", "(!(!a))"),
        ("-a * b", "((-a) * b)"),
        ("- -1", "(-(-1))"),
        ("-a.b", "(-a.b)"),
        ("!a.b.size()", "(!a.b.size())"),
        ("a ? b : c ? d : e", "(a ? b : (c ? d : e))"),
        ("a ? b ? c : d : e", "(a ? (b ? c : d) : e)"),
        ("a || b ? c : d", "((a || b) ? c : d)"),
        ("a ? b || c : d && e", "(a ? (b || c) : (d && e))"),
        ("a.b[0].c", "a.b[0].c"),
        ("a['k'].c", "a['k'].c"),
        ("size(a) + 1", "(size(a) + 1)"),
        ("a.lower().upper()", "a.lower().upper()"),
        ("f(1, 2 + 3, g())", "f(1, (2 + 3), g())"),
        ("1 <= 2 >= 3 > 4 < 5", "((((1 <= 2) >= 3) > 4) < 5)"),
        ("a - -b", "(a - (-b))"),
        ("vars.in", "vars.in"),
        ("vars.true", "vars.true"),
    ])
    func precedence(_ input: String, _ expected: String) {
        #expect(exprShape(input) == expected)
    }

    @Test("every binary operator parses to its case")
    func everyOperator() throws {
        for op in Expr.BinaryOperator.allCases {
            let expr = try ExprParser.parse("a \(op.rawValue) b")
            guard case .binary(let parsed, .identifier("a", _), .identifier("b", _), let span) = expr else {
                Issue.record("\(op.rawValue) parsed as \(expr)")
                continue
            }
            #expect(parsed == op)
            #expect(span == ExprSpan(offset: 0, length: 4 + op.rawValue.count))
        }
    }

    @Test("literals")
    func literals() throws {
        #expect(try ExprParser.parse("42") == .literal(.int(42), ExprSpan(offset: 0, length: 2)))
        #expect(try ExprParser.parse("0.65") == .literal(.number(0.65), ExprSpan(offset: 0, length: 4)))
        #expect(try ExprParser.parse("1e3") == .literal(.number(1000), ExprSpan(offset: 0, length: 3)))
        #expect(try ExprParser.parse("2.5E-1") == .literal(.number(0.25), ExprSpan(offset: 0, length: 6)))
        #expect(try ExprParser.parse("true") == .literal(.bool(true), ExprSpan(offset: 0, length: 4)))
        #expect(try ExprParser.parse("false") == .literal(.bool(false), ExprSpan(offset: 0, length: 5)))
        #expect(try ExprParser.parse(" null ") == .literal(.null, ExprSpan(offset: 1, length: 4)))
        #expect(try ExprParser.parse("'a\\'b'") == .literal(.string("a'b"), ExprSpan(offset: 0, length: 6)))
        #expect(try ExprParser.parse(#""say \"hi\"""#) == .literal(.string("say \"hi\""), ExprSpan(offset: 0, length: 12)))
        #expect(try ExprParser.parse(#"'\n\t\r\\'"#) == .literal(.string("\n\t\r\\"), ExprSpan(offset: 0, length: 10)))
        #expect(try ExprParser.parse("'it\"s'") == .literal(.string("it\"s"), ExprSpan(offset: 0, length: 6)))
        #expect(try ExprParser.parse("\"it's\"") == .literal(.string("it's"), ExprSpan(offset: 0, length: 6)))
        #expect(try ExprParser.parse(#"r'^\d+\n$'"#) == .literal(.string(#"^\d+\n$"#), ExprSpan(offset: 0, length: 10)))
        #expect(try ExprParser.parse(#"R"a'b\""#) == .literal(.string(#"a'b\"#), ExprSpan(offset: 0, length: 7)))
        #expect(exprShape("r + x") == "(r + x)")
        #expect(exprShape("vars.r") == "vars.r")
        #expect(try ExprParser.parse("9223372036854775807") == .literal(.int(.max), ExprSpan(offset: 0, length: 19)))
        #expect(try ExprParser.parse("-9223372036854775808") == .literal(.int(.min), ExprSpan(offset: 0, length: 20)))
        #expect(exprShape("[1, 'a', null,]") == "[1, 'a', null]")
        #expect(exprShape("[]") == "[]")
        #expect(exprShape("{'a': 1, 'b': [2]}") == "{'a': 1, 'b': [2]}")
        #expect(exprShape("{}") == "{}")
    }

    @Test("spans of nodes count Characters, not bytes or UTF-16 units")
    func unicodeSpans() throws {
        let expr = try ExprParser.parse("'héllo 👋🏽' == vars.x")
        guard case .binary(_, let lhs, let rhs, let span) = expr else {
            Issue.record("not binary")
            return
        }
        #expect(lhs.span == ExprSpan(offset: 0, length: 9))
        #expect(rhs.span == ExprSpan(offset: 13, length: 6))
        #expect(span == ExprSpan(offset: 0, length: 19))
    }

    @Test("error messages and exact spans", arguments: [
        ("(1 + 2", "expected ')' to close '(' at 0, found end of expression", 6, 0),
        ("f(1, 2", "expected ')' to close '(' of f(...) at 1, found end of expression", 6, 0),
        ("a[1", "expected ']' to close '[' at 1, found end of expression", 3, 0),
        ("[1, 2", "expected ']' to close '[' at 0, found end of expression", 5, 0),
        ("1 + # 2", "unexpected character '#'", 4, 1),
        ("'abc", "unterminated string", 0, 4),
        ("x == 'ab\\qc'", "invalid escape '\\q' in string (allowed: \\n \\t \\r \\\\ \\' \\\"; write regular expressions as raw strings: r'^\\d+$')", 8, 2),
        ("r'abc", "unterminated string", 0, 5),
        ("a = b", "unexpected character '='; use '==' to compare", 2, 1),
        ("a & b", "unexpected character '&'; use '&&' for logical and", 2, 1),
        ("a | b", "unexpected character '|'; use '||' for logical or", 2, 1),
        ("", "empty expression", 0, 0),
        ("   ", "empty expression", 3, 0),
        ("1 +", "unexpected end of expression", 3, 0),
        ("1 2", "unexpected '2' after expression", 2, 1),
        ("a ? b", "expected ':' in conditional started by '?' at 2, found end of expression", 5, 0),
        ("a.", "expected a field name after '.', found end of expression", 2, 0),
        ("a.1", "expected a field name after '.', found '1'", 2, 1),
        ("(a)(1)", "only named functions can be called, e.g. size(x) or x.size()", 3, 1),
        ("15m > x", "invalid number '15m' (durations are written duration('15m'))", 0, 3),
        ("9223372036854775808", "integer '9223372036854775808' is out of range", 0, 19),
        ("99999999999999999999", "integer '99999999999999999999' is out of range", 0, 20),
        ("{'a' 1}", "expected ':' after map key, found '1'", 5, 1),
        ("x == )", "expected an expression, found ')'", 5, 1),
        ("héllo == 1", "unexpected character 'é'", 1, 1),
    ])
    func errors(_ input: String, _ message: String, _ offset: Int, _ length: Int) {
        let error = exprParseError(input)
        #expect(error?.message == message)
        #expect(error?.span == ExprSpan(offset: offset, length: length))
    }

    @Test("nesting deeper than 64 is an error, never a crash")
    func depthLimit() throws {
        let ok = String(repeating: "(", count: 60) + "1" + String(repeating: ")", count: 60)
        #expect(try ExprParser.parse(ok) == .literal(.int(1), ExprSpan(offset: 60, length: 1)))
        let deep = String(repeating: "(", count: 65) + "1" + String(repeating: ")", count: 65)
        #expect(exprParseError(deep)?.message == "expression nests too deeply (maximum depth is 64)")
        let huge = String(repeating: "(", count: 4000)
        #expect(exprParseError(huge)?.message == "expression nests too deeply (maximum depth is 64)")
        #expect(exprParseError(String(repeating: "!", count: 100) + "true")?.message.contains("too deeply") == true)
        #expect(exprParseError(String(repeating: "[", count: 100))?.message.contains("too deeply") == true)
        #expect(exprParseError(String(repeating: "f(", count: 100))?.message.contains("too deeply") == true)
        #expect(exprParseError(String(repeating: "-", count: 2000) + "1")?.message.contains("too deeply") == true)
        // Long operator chains make deep trees without recursion in the parser; they are bounded too.
        let chain = Array(repeating: "1", count: 64).joined(separator: " + ")
        #expect(try ExprParser.parse(chain).description.hasPrefix("((((("))
        let longChain = Array(repeating: "1", count: 66).joined(separator: " + ")
        #expect(exprParseError(longChain)?.message == "expression nests too deeply (maximum depth is 64)")
        let members = "a" + String(repeating: ".b", count: 70)
        #expect(exprParseError(members)?.message.contains("too deeply") == true)
    }

    @Test("expressions longer than 4096 characters are rejected")
    func lengthLimit() throws {
        let fits = "'" + String(repeating: "x", count: 4094) + "'"
        #expect(try ExprParser.parse(fits) == .literal(.string(String(repeating: "x", count: 4094)), ExprSpan(offset: 0, length: 4096)))
        let long = "'" + String(repeating: "x", count: 4095) + "'"
        let error = exprParseError(long)
        #expect(error?.message == "expression is too long (4097 characters; the maximum is 4096)")
        #expect(error?.span == ExprSpan(offset: 4096, length: 1))
    }

    @Test("receiver-style calls put the receiver first")
    func receiverCalls() throws {
        let expr = try ExprParser.parse("message.text.startsWith('hi')")
        guard case .call(let name, let arguments, let receiverStyle, let span) = expr else {
            Issue.record("not a call: \(expr)")
            return
        }
        #expect(name == "startsWith")
        #expect(receiverStyle)
        #expect(arguments.map(\.description) == ["message.text", "'hi'"])
        #expect(span == ExprSpan(offset: 0, length: 29))
    }

    @Test("paths in source order with spans")
    func paths() throws {
        let expr = try ExprParser.parse("session.answers[vars.step] == 'x' && message.text.size() > vars.limits['max'] + list[0]")
        let paths = expr.paths
        #expect(paths.map(\.components) == [
            ["session", "answers"], ["vars", "step"], ["message", "text"], ["vars", "limits", "max"], ["list", "0"],
        ])
        #expect(paths.map(\.span) == [
            ExprSpan(offset: 0, length: 15), ExprSpan(offset: 16, length: 9), ExprSpan(offset: 37, length: 12),
            ExprSpan(offset: 59, length: 18), ExprSpan(offset: 80, length: 7),
        ])
        #expect(try ExprParser.parse("session.answers[\"Q1\"]").paths.map(\.components) == [["session", "answers", "Q1"]])
        #expect(try ExprParser.parse("[vars.a, {'k': vars.b}][0]").paths.map(\.components) == [["vars", "a"], ["vars", "b"]])
        #expect(try ExprParser.parse("has(vars.email) ? vars.email : 'none'").paths.map(\.description) == ["vars.email", "vars.email"])
    }

    @Test("usesNow and isConstant")
    func constantness() throws {
        #expect(try ExprParser.parse("1 + 2 * 3 > 4").isConstant)
        #expect(try ExprParser.parse("duration('1h') > duration('30m')").isConstant)
        #expect(try !ExprParser.parse("vars.x > 1").isConstant)
        #expect(try ExprParser.parse("now() > vars.deadline").usesNow)
        #expect(try ExprParser.parse("size([now()])").usesNow)
        #expect(try !ExprParser.parse("size([now()])").isConstant)
        #expect(try !ExprParser.parse("vars.now").usesNow)
    }
}
