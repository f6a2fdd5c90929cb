import Crypto

/// An expression of one of the shapes flows use most (`vars.step`, `session.id`, `message.text`,
/// `lower(x)`, `hash(x)`, `a == b`, `next_step(a, b)`, literals), compiled at `Program.compile` to
/// read the turn directly: no evaluation context, no resolver, no path strings to compare.
///
/// `Turn.value(of:)` answers exactly as the interpreter would, or nil when it cannot be sure (a
/// path that does not resolve, a value of an unexpected type, a string near the 64 KiB limit):
/// the caller then runs the interpreter, which gives the value or the error. Anything else is not
/// compiled (`init?` fails) and always goes to the interpreter.
indirect enum TurnExpr: Sendable {
    case literal(Value)
    /// `session.id`
    case sessionID
    /// `session.entry`
    case sessionEntry
    /// `session.answers.<step>`
    case sessionAnswer(String)
    /// `vars.<name>`
    case variable(String)
    /// `message.text`
    case messageText
    /// `message.classification.answer`
    case classificationAnswer
    case lower(TurnExpr)
    case hash(TurnExpr)
    case equal(TurnExpr, TurnExpr)
    case notEqual(TurnExpr, TurnExpr)
    /// `next_step(step, answer)`
    case nextStep(TurnExpr, TurnExpr)

    /// At most this many nodes: with strings of at most 64 KiB, the interpreter's budget (10,000
    /// units: one per node, one per KiB produced) cannot run out, so neither path fails on it.
    static let maxNodes = 32

    init?(_ expr: Expr) {
        var nodes = 0
        guard let compiled = Self.compile(expr, nodes: &nodes) else { return nil }
        self = compiled
    }

    private static func compile(_ expr: Expr, nodes: inout Int) -> TurnExpr? {
        nodes += 1
        guard nodes <= maxNodes else { return nil }
        switch expr {
        case .literal(let literal, _):
            switch literal {
            case .int(let i): return .literal(.int(i))
            case .number(let d): return .literal(.number(d))
            case .string(let s): return s.utf8.count <= Evaluator.maxStringBytes ? .literal(.string(s)) : nil
            case .bool(let b): return .literal(.bool(b))
            case .null: return .literal(.null)
            }
        case .member(.identifier("vars", _), let name, _):
            return .variable(name)
        case .member(.identifier("session", _), let name, _):
            switch name {
            case "id": return .sessionID
            case "entry": return .sessionEntry
            default: return nil
            }
        case .member(.identifier("message", _), "text", _):
            return .messageText
        case .member(.member(.identifier("message", _), "classification", _), "answer", _):
            return .classificationAnswer
        case .member(.member(.identifier("session", _), "answers", _), let step, _):
            return .sessionAnswer(step)
        case .call(let name, let arguments, _, _):
            switch (name, arguments.count) {
            case ("lower", 1): return compile(arguments[0], nodes: &nodes).map(TurnExpr.lower)
            case ("hash", 1): return compile(arguments[0], nodes: &nodes).map(TurnExpr.hash)
            case ("next_step", 2):
                guard let step = compile(arguments[0], nodes: &nodes), let answer = compile(arguments[1], nodes: &nodes) else { return nil }
                return .nextStep(step, answer)
            default: return nil
            }
        case .binary(let op, let lhs, let rhs, _):
            guard op == .equal || op == .notEqual, let l = compile(lhs, nodes: &nodes), let r = compile(rhs, nodes: &nodes) else {
                return nil
            }
            return op == .equal ? .equal(l, r) : .notEqual(l, r)
        default:
            return nil
        }
    }
}

/// A template whose every interpolation is a `TurnExpr`.
struct TurnTemplate: Sendable {
    enum Part: Sendable {
        case literal(String)
        case expr(TurnExpr)
    }

    let parts: [Part]
    /// The literal parts' bytes (the rendered text's size, less the interpolated values).
    let literalBytes: Int

    init?(_ template: Template) {
        var parts: [Part] = []
        var bytes = 0
        for part in template.parts {
            switch part {
            case .literal(let text):
                parts.append(.literal(text))
                bytes += text.utf8.count
            case .expr(let expr, _):
                guard let compiled = TurnExpr(expr) else { return nil }
                parts.append(.expr(compiled))
            }
        }
        guard parts.count <= TurnExpr.maxNodes else { return nil }
        self.parts = parts
        literalBytes = bytes
    }

    init?(_ template: Template?) {
        guard let template else { return nil }
        self.init(template)
    }
}

extension Turn {
    /// `expr`'s value as the interpreter would give it, or nil (run the interpreter).
    func value(of expr: TurnExpr) -> Value? {
        switch expr {
        case .literal(let value):
            return value
        case .sessionID:
            return .string(state.id)
        case .sessionEntry:
            return .string(state.entry)
        case .sessionAnswer(let step):
            if let answer = state.steps[step]?.answer { return .string(answer) }
            return program.manifest.index[step] != nil ? .null : nil
        case .variable(let name):
            return topVar(name)
        case .messageText:
            guard let message else { return .null }
            return .string(message.effectiveText)
        case .classificationAnswer:
            guard let answer = classification?.answer else { return .null }
            return .string(answer)
        case .lower(let argument):
            guard case .string(let s)? = value(of: argument), s.utf8.count <= Evaluator.maxStringBytes else { return nil }
            let lowered = Self.lowercased(s)
            return lowered.utf8.count <= Evaluator.maxStringBytes ? .string(lowered) : nil
        case .hash(let argument):
            guard let text = value(of: argument)?.renderedText, text.utf8.count <= Evaluator.maxStringBytes else { return nil }
            return .string(ExprInterpreter.hash(text))
        case .equal(let lhs, let rhs):
            guard let l = value(of: lhs), let r = value(of: rhs) else { return nil }
            return .bool(ExprInterpreter.equal(l, r))
        case .notEqual(let lhs, let rhs):
            guard let l = value(of: lhs), let r = value(of: rhs) else { return nil }
            return .bool(!ExprInterpreter.equal(l, r))
        case .nextStep(let stepExpr, let answerExpr):
            guard case .string(let stepID)? = value(of: stepExpr), let answer = value(of: answerExpr),
                  let step = program.manifest.step(stepID) else { return nil }
            return .string(step.nextStep(after: answer.renderedText))
        }
    }

    /// `template` rendered as the interpreter would, or nil (run the interpreter).
    func render(_ template: TurnTemplate) -> String? {
        if template.parts.count == 1, case .literal(let text) = template.parts[0] { return text }
        var out = String()
        out.reserveCapacity(template.literalBytes + 24 * (template.parts.count / 2 + 1))
        for part in template.parts {
            switch part {
            case .literal(let text):
                out += text
            case .expr(.hash(let argument)):
                // The digest's hex written straight into the text (no string of its own).
                guard let text = value(of: argument)?.renderedText, text.utf8.count <= Evaluator.maxStringBytes else { return nil }
                Self.appendHash(of: text, to: &out)
            case .expr(let expr):
                guard let value = value(of: expr) else { return nil }
                out += value.renderedText
            }
            if out.utf8.count > Evaluator.maxStringBytes { return nil }
        }
        return out
    }

    /// Appends `hash(text)`: the first 8 bytes of SHA-256 over the UTF-8 bytes as 16 lowercase
    /// hex digits (`ExprInterpreter.hash`), as two 8-digit small strings that need no allocation.
    static func appendHash(of text: String, to out: inout String) {
        var text = text
        let digest = text.withUTF8 { SHA256.hash(data: UnsafeRawBufferPointer($0)) }
        digest.withUnsafeBytes { bytes in
            for half in 0..<2 {
                out += String(unsafeUninitializedCapacity: 8) { buffer in
                    for k in 0..<4 {
                        let byte = bytes[half * 4 + k]
                        buffer[2 * k] = hexDigits[Int(byte >> 4)]
                        buffer[2 * k + 1] = hexDigits[Int(byte & 0x0F)]
                    }
                    return 8
                }
            }
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// `String.lowercased()`, byte by byte for ASCII text (where the two agree).
    static func lowercased(_ s: String) -> String {
        var s = s
        let ascii = s.withUTF8 { bytes in bytes.allSatisfy { $0 < 0x80 } }
        guard ascii else { return s.lowercased() }
        guard s.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else { return s }
        return String(unsafeUninitializedCapacity: s.utf8.count) { out in
            var i = 0
            for b in s.utf8 {
                out[i] = b >= 0x41 && b <= 0x5A ? b + 0x20 : b
                i += 1
            }
            return i
        }
    }
}
