@testable import ArriwaCore

/// Deterministic PRNG for fuzz tests.
struct ExprSplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum ExprFixture {
    static let q1 = ExprType.makeEnumeration(name: "Q1 option", values: ["yes_now", "later", "no"])

    static let environment = StaticTypeEnvironment(roots: [
        "vars": .record([
            "retries": .int,
            "score": .number,
            "name": .string,
            "step": .string,
            "tags": .list(.string),
            "counts": .map(.int),
            "choice": q1,
            "deadline": .timestamp,
            "wait": .duration,
            "opted_in": .bool,
            "anything": .any,
        ]),
        "session": .record([
            "id": .string,
            "profile_name": .string,
            "started_at": .timestamp,
            "answers": .record(["Q1": q1, "Q2": .string]),
            "history": .list(.record(["text": .string])),
        ]),
        "message": .record(["text": .string, "type": .string]),
        "tenant": .map(.any),
    ])

    static let values: [String: Value] = [
        "vars": .map([
            "retries": .int(2),
            "score": .number(0.75),
            "name": .string("Ana"),
            "step": .string("Q1"),
            "tags": .list([.string("hot"), .string("vip")]),
            "counts": .map(["a": .int(1)]),
            "choice": .string("later"),
            "deadline": .timestamp(1_700_000_000_000),
            "wait": .duration(900_000),
            "opted_in": .bool(true),
            "empty": .null,
            "big": .int(Int64.max),
        ]),
        "session": .map([
            "id": .string("s-42"),
            "profile_name": .string("Ana Lima"),
            "started_at": .timestamp(1_700_000_000_000),
            "answers": .map(["Q1": .string("yes_now"), "Q2": .string("blue")]),
            "history": .list([.map(["text": .string("hi")])]),
        ]),
        "message": .map(["text": .string("Hello there"), "type": .string("text")]),
    ]

    static let now: Int64 = 1_700_000_600_000

    static func context(budget: Int = 10_000) -> EvaluationContext {
        EvaluationContext(resolver: StaticValueResolver(roots: values), now: now, budget: budget)
    }
}

/// Parses or returns the error.
func exprParseResult(_ text: String) -> Result<Expr, ExprError> {
    do {
        return .success(try ExprParser.parse(text))
    } catch {
        return .failure(error)
    }
}

/// Parse error of `text`, or nil if it parsed.
func exprParseError(_ text: String) -> ExprError? {
    if case .failure(let error) = exprParseResult(text) { return error }
    return nil
}

/// Fully parenthesized form, or "error: message".
func exprShape(_ text: String) -> String {
    switch exprParseResult(text) {
    case .success(let expr): return expr.description
    case .failure(let error): return "error: \(error.message)"
    }
}

/// Evaluates `text` against the fixture, returning the value or the evaluation/parse error message.
func exprRun(_ text: String, budget: Int = 10_000) -> Result<Value, EvaluationError> {
    let expr: Expr
    do {
        expr = try ExprParser.parse(text)
    } catch {
        return .failure(EvaluationError(message: "parse: \(error.message)", span: error.span))
    }
    do {
        return .success(try Evaluator.evaluate(expr, in: ExprFixture.context(budget: budget)))
    } catch {
        return .failure(error)
    }
}

func exprValue(_ text: String) -> Value? {
    if case .success(let v) = exprRun(text) { return v }
    return nil
}

func exprEvalError(_ text: String, budget: Int = 10_000) -> EvaluationError? {
    if case .failure(let e) = exprRun(text, budget: budget) { return e }
    return nil
}

/// Type-checks `text` against the fixture environment (a parse failure is a test bug: returns one `.syntax` issue).
func exprCheck(_ text: String, expected: ExprType? = nil) -> (type: ExprType, issues: [ExprIssue]) {
    switch exprParseResult(text) {
    case .success(let expr):
        return TypeChecker(environment: ExprFixture.environment).check(expr, expected: expected)
    case .failure(let error):
        return (.any, [ExprIssue(error)])
    }
}

func exprCodes(_ text: String, expected: ExprType? = nil) -> [ExprIssue.Code] {
    exprCheck(text, expected: expected).issues.map(\.code)
}
