import Foundation
import Testing
@testable import ArriwaCore

/// Random inputs: nothing may crash; what parses must also check, evaluate and print back.
@Suite("Fuzzing")
struct FuzzTests {
    private static let alphabet: [Character] = Array(
        "abvxyz_01239.,:?!&|=<>+-*/%()[]{}'\"\\ $#\té👋") + ["vars", "session", "in", "null", "true", "size(", "now()", "duration('1h')"]
        .flatMap { Array($0) }

    private static let tokens = [
        "vars.retries", "vars.name", "vars.tags", "vars.choice", "vars.wait", "vars.deadline", "vars.empty",
        "vars.counts", "session.answers", "message.text", "vars.anything", "nothing", "vars.big",
        "1", "0", "2.5", "-1", "'a'", "'later'", "''", "true", "false", "null", "now()", "duration('15m')",
        "+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "!", "in", "?", ":",
        "(", ")", "[", "]", "{", "}", ",", ".", "size", "lower", "has", "default", "join", "hash", "matches",
        "min", "abs", "int", "string", "format_duration", "contains", "Q1", "0",
    ]

    private static func randomString(_ rng: inout ExprSplitMix64) -> String {
        let length = Int.random(in: 0...40, using: &rng)
        if Bool.random(using: &rng) {
            return String((0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] })
        }
        return (0..<(length / 3)).map { _ in tokens[Int.random(in: 0..<tokens.count, using: &rng)] }
            .joined(separator: Bool.random(using: &rng) ? " " : "")
    }

    @Test("20,000 random strings: each parses or throws ExprError; parsed ones check, evaluate and reprint")
    func randomStrings() {
        var rng = ExprSplitMix64(seed: 0xA11_1FA)
        let checker = TypeChecker(environment: ExprFixture.environment)
        var parsed = 0
        var evaluated = 0
        for _ in 0..<20_000 {
            let text = Self.randomString(&rng)
            let expr: Expr
            do {
                expr = try ExprParser.parse(text)
            } catch {
                let count = text.count
                #expect(error.span.offset >= 0 && error.span.end <= max(count, 0) + 1, "\(text): \(error)")
                continue
            }
            parsed += 1
            let result = checker.check(expr, expected: .bool)
            for issue in result.issues {
                #expect(issue.span.offset >= 0 && issue.span.end <= text.count, "\(text): \(issue)")
            }
            if let value = try? Evaluator.evaluate(expr, in: ExprFixture.context()) {
                evaluated += 1
                _ = value.renderedText
            }
            _ = expr.paths
            _ = Evaluator.constantValue(of: expr)
            // The printed form parses to the same tree shape.
            let printed = expr.description
            if let reparsed = try? ExprParser.parse(printed) {
                #expect(reparsed.description == printed, "\(text)")
            }
        }
        #expect(parsed > 1_000)
        #expect(evaluated > 200)
    }

    @Test("20,000 random templates never crash")
    func randomTemplates() {
        var rng = ExprSplitMix64(seed: 99)
        let checker = TypeChecker(environment: ExprFixture.environment)
        var rendered = 0
        for _ in 0..<20_000 {
            var text = ""
            for _ in 0..<Int.random(in: 0...4, using: &rng) {
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: text += "${"
                case 1: text += "}"
                case 2: text += "$${"
                default: text += Self.randomString(&rng)
                }
            }
            guard let template = try? Template.parse(text) else { continue }
            _ = checker.check(template)
            if (try? Evaluator.render(template, in: ExprFixture.context())) != nil { rendered += 1 }
        }
        #expect(rendered > 1_000)
    }

    // MARK: - Type soundness on generated expressions

    private static let leaves = [
        "vars.retries", "vars.score", "vars.name", "vars.step", "vars.tags", "vars.counts", "vars.choice",
        "vars.deadline", "vars.wait", "vars.opted_in", "session.answers.Q1", "session.history[0]",
        "session.history[0].text", "message.text", "1", "2", "0", "2.5", "'a'", "'later'", "true", "false",
        "null", "now()", "duration('15m')", "[1, 2]", "['x', 'y']", "{'k': 1}",
    ]
    private static let binary = ["+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "in"]
    private static let functions = [
        ("size", 1), ("lower", 1), ("upper", 1), ("trim", 1), ("contains", 2), ("startsWith", 2), ("endsWith", 2),
        ("hash", 1), ("string", 1), ("int", 1), ("number", 1), ("min", 2), ("max", 2), ("abs", 1),
        ("default", 2), ("join", 2), ("format_duration", 1), ("has", 1),
    ]

    private static func generate(_ rng: inout ExprSplitMix64, depth: Int) -> String {
        if depth == 0 || Int.random(in: 0..<4, using: &rng) == 0 {
            return leaves[Int.random(in: 0..<leaves.count, using: &rng)]
        }
        switch Int.random(in: 0..<6, using: &rng) {
        case 0, 1:
            let op = binary[Int.random(in: 0..<binary.count, using: &rng)]
            return "(\(generate(&rng, depth: depth - 1)) \(op) \(generate(&rng, depth: depth - 1)))"
        case 2:
            return "(\(Bool.random(using: &rng) ? "!" : "-")\(generate(&rng, depth: depth - 1)))"
        case 3:
            return "(\(generate(&rng, depth: depth - 1)) ? \(generate(&rng, depth: depth - 1)) : \(generate(&rng, depth: depth - 1)))"
        case 4:
            let (name, arity) = functions[Int.random(in: 0..<functions.count, using: &rng)]
            let arguments = (0..<arity).map { _ in generate(&rng, depth: depth - 1) }
            return "\(name)(\(arguments.joined(separator: ", ")))"
        default:
            return "[\(generate(&rng, depth: depth - 1)), \(generate(&rng, depth: depth - 1))]"
        }
    }

    /// Whether a runtime value inhabits a static type (null inhabits every type; int inhabits number).
    private static func conforms(_ value: Value, to type: ExprType) -> Bool {
        switch (value, type) {
        case (_, .any), (.null, _): return true
        case (.int, .int), (.int, .number), (.number, .number), (.bool, .bool), (.string, .string),
             (.duration, .duration), (.timestamp, .timestamp):
            return true
        case (.string(let s), .enumeration(_, let values)): return values.contains(s)
        case (.list(let elements), .list(let element)): return elements.allSatisfy { conforms($0, to: element) }
        case (.map(let entries), .map(let v)): return entries.values.allSatisfy { conforms($0, to: v) }
        case (.map(let entries), .record(let fields)):
            return fields.allSatisfy { name, t in entries[name].map { conforms($0, to: t) } ?? true }
        default: return false
        }
    }

    @Test("expressions without issues evaluate to values of their static type")
    func soundness() throws {
        var rng = ExprSplitMix64(seed: 2024)
        let checker = TypeChecker(environment: ExprFixture.environment)
        var clean = 0
        var confirmed = 0
        for _ in 0..<6_000 {
            let text = Self.generate(&rng, depth: 4)
            let expr = try ExprParser.parse(text)
            let (type, issues) = checker.check(expr)
            guard issues.isEmpty else { continue }
            clean += 1
            do {
                let value = try Evaluator.evaluate(expr, in: ExprFixture.context())
                confirmed += 1
                #expect(Self.conforms(value, to: type), "\(text): \(value) is not a \(type)")
            } catch {
                // Only value-dependent failures are acceptable for well-typed expressions.
                let allowed = ["division by zero", "overflow", "out of range", "not finite", "cannot convert",
                               "does not fit", "invalid duration", "64 KiB", "budget"]
                #expect(allowed.contains { error.message.contains($0) }, "\(text): \(error)")
            }
        }
        #expect(clean > 500)
        #expect(confirmed > 400)
    }

    // MARK: - Stack safety

    /// Runs `body` on a thread with a 512 KiB stack (the size of secondary threads on Darwin), so that
    /// deep recursion would crash the test. Debug builds use about 4 KiB of stack per nesting level.
    private static func onSmallStack(_ body: @escaping @Sendable () -> Void) {
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            body()
            done.signal()
        }
        thread.stackSize = 512 * 1024
        thread.start()
        done.wait()
    }

    @Test("the deepest accepted expressions parse, check and evaluate on a 512 KiB stack")
    func deepOnSmallStack() {
        let inputs = [
            String(repeating: "(", count: 63) + "1" + String(repeating: ")", count: 63),
            Array(repeating: "1", count: 64).joined(separator: " + "),
            String(repeating: "-", count: 63) + "1",
            String(repeating: "!", count: 63) + "true",
            String(repeating: "[", count: 63) + String(repeating: "]", count: 63),
            String(repeating: "size(", count: 40) + "'x'" + String(repeating: ")", count: 40),
            String(repeating: "(true ? ", count: 30) + "1" + String(repeating: " : 2)", count: 30),
            String(repeating: "(", count: 4096),
            String(repeating: "a[", count: 2048),
        ]
        let outcomes = Outcomes()
        Self.onSmallStack {
            for text in inputs {
                switch exprParseResult(text) {
                case .success(let expr):
                    _ = TypeChecker(environment: ExprFixture.environment).check(expr)
                    _ = try? Evaluator.evaluate(expr, in: ExprFixture.context())
                    _ = expr.paths
                    _ = expr.description
                    _ = expr.hashValue
                    outcomes.add("ok")
                case .failure(let error):
                    outcomes.add(error.message)
                }
            }
        }
        #expect(outcomes.all == ["ok", "ok", "ok", "ok", "ok", "ok", "ok",
                                 "expression nests too deeply (maximum depth is 64)",
                                 "expression nests too deeply (maximum depth is 64)"])
    }
}

private final class Outcomes: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ item: String) { lock.withLock { items.append(item) } }
    var all: [String] { lock.withLock { items } }
}
