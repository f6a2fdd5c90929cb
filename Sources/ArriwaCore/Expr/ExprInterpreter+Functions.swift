import Crypto
import Foundation

extension ExprInterpreter {
    mutating func call(_ name: String, _ arguments: [Expr], span: ExprSpan) throws(EvaluationError) -> Value {
        guard let builtin = ExprBuiltin.byName[name] else {
            throw EvaluationError(message: "unknown function '\(name)'", span: span)
        }
        guard builtin.arity.contains(arguments.count) else {
            throw EvaluationError(message: "\(name)() takes \(builtin.arity.lowerBound) argument(s), got \(arguments.count)", span: span)
        }
        switch builtin {
        case .has: return try callHas(arguments[0])
        case .default: return try callDefault(arguments[0], arguments[1])
        case .nextStep: return try callNextStep(arguments[0], arguments[1], span: span)
        default: break
        }
        // Builtins take at most two arguments that `apply` reads: evaluated into locals, no array.
        guard arguments.count <= 2 else {
            var values: [Value] = []
            for argument in arguments { values.append(try eval(argument)) }
            return try apply(builtin, values[0], values[1], arguments, span: span) { values }
        }
        var first = Value.null, second = Value.null
        if arguments.count > 0 { first = try eval(arguments[0]) }
        if arguments.count > 1 { second = try eval(arguments[1]) }
        return try apply(builtin, first, second, arguments, span: span) {
            Array([first, second].prefix(arguments.count))
        }
    }

    /// `has(path)`: true if the path resolves to a non-null value; never an error.
    private func callHas(_ argument: Expr) throws(EvaluationError) -> Value {
        guard let path = argument.staticPath else {
            throw EvaluationError(message: "has() needs a path", span: argument.span)
        }
        let value = resolveIfPresent(path)
        return .bool(value != nil && value != .null)
    }

    /// `next_step(step, answer)`: the manifest's router, which the engine exposes to the
    /// resolver as `manifest.next.<step>.<answer>`.
    private mutating func callNextStep(_ step: Expr, _ answer: Expr, span: ExprSpan) throws(EvaluationError) -> Value {
        let stepValue = try eval(step), answerValue = try eval(answer)
        guard case .string(let stepID) = stepValue else {
            throw EvaluationError(message: "next_step() needs a step id, got \(stepValue.typeName)", span: step.span)
        }
        let answerText = answerValue.renderedText
        let found = context.resolver.value("manifest", "next", stepID, answerText)
            ?? resolveIfPresent(["manifest", "next", stepID, answerText])
        guard let next = found, next != .null else {
            throw EvaluationError(message: "the manifest has no step after \(stepID) for answer '\(answerValue.renderedText)'", span: span)
        }
        return next
    }

    /// `default(x, fallback)`: x unless it is null or a path that does not resolve; fallback is lazy.
    private mutating func callDefault(_ argument: Expr, _ fallback: Expr) throws(EvaluationError) -> Value {
        let first: Value
        if let path = argument.staticPath {
            try spend(1, span: argument.span)
            first = resolveIfPresent(path) ?? .null
        } else {
            first = try eval(argument)
        }
        return first == .null ? try eval(fallback) : first
    }

    private func badArguments(_ builtin: ExprBuiltin, _ values: [Value], _ span: ExprSpan) -> EvaluationError {
        let types = values.map(\.typeName).joined(separator: ", ")
        return EvaluationError(message: "\(builtin.rawValue)() cannot take (\(types)); \(builtin.signature)", span: span)
    }

    /// `first`, `second`: the first two arguments' values (null when absent); `all`: every value, for
    /// the error message.
    private mutating func apply(_ builtin: ExprBuiltin, _ first: Value, _ second: Value, _ args: [Expr], span: ExprSpan,
                                all: () -> [Value]) throws(EvaluationError) -> Value {
        switch (builtin, first, second) {
        case (.size, .string(let s), _): return .int(Int64(s.count))
        case (.size, .list(let l), _): return .int(Int64(l.count))
        case (.size, .map(let m), _): return .int(Int64(m.count))
        case (.lower, .string(let s), _): return try produced(s.lowercased(), span: span)
        case (.upper, .string(let s), _): return try produced(s.uppercased(), span: span)
        case (.trim, .string(let s), _): return .string(s.trimmingCharacters(in: .whitespacesAndNewlines))
        case (.contains, .string(let s), .string(let t)): return .bool(t.isEmpty || s.contains(t))
        case (.startsWith, .string(let s), .string(let t)): return .bool(s.hasPrefix(t))
        case (.endsWith, .string(let s), .string(let t)): return .bool(s.hasSuffix(t))
        case (.matches, .string(let s), .string(let pattern)):
            return .bool(try Self.matches(s, pattern, span: args[1].span))
        case (.now, _, _): return .timestamp(context.now)
        case (.duration, .string(let s), _):
            guard let ms = ExprDuration.parse(s) else {
                throw EvaluationError(message: "invalid duration '\(s)'", span: args[0].span)
            }
            return .duration(ms)
        case (.hash, let x, _):
            let text = x.renderedText
            try spend(text.utf8.count / 1_024, span: span)
            return .string(Self.hash(text))
        case (.string, let x, _):
            return try produced(x.renderedText, span: span)
        case (.int, .int(let i), _): return .int(i)
        case (.int, .number(let d), _):
            guard d.isFinite, let i = Int64(exactly: d.rounded(.towardZero)) else {
                throw EvaluationError(message: "\(Value.render(number: d)) does not fit in an int", span: span)
            }
            return .int(i)
        case (.int, .string(let s), _):
            guard let i = Int64(s.trimmingCharacters(in: .whitespaces)) else {
                throw EvaluationError(message: "cannot convert '\(s.prefix(40))' to an int", span: span)
            }
            return .int(i)
        case (.int, .duration(let ms), _), (.int, .timestamp(let ms), _): return .int(ms)
        case (.number, .int(let i), _): return .number(Double(i))
        case (.number, .number(let d), _): return .number(d)
        case (.number, .string(let s), _):
            guard let d = Double(s.trimmingCharacters(in: .whitespaces)), d.isFinite else {
                throw EvaluationError(message: "cannot convert '\(s.prefix(40))' to a number", span: span)
            }
            return .number(d)
        case (.min, let a, let b), (.max, let a, let b):
            guard let order = Self.compare(a, b), Self.sameKind(a, b) else {
                throw EvaluationError(message: "\(builtin.rawValue)() cannot compare a \(a.typeName) and a \(b.typeName)", span: span)
            }
            let pickFirst = builtin == .min ? order <= 0 : order >= 0
            let picked = pickFirst ? a : b
            if case .int(let i) = picked, a.typeName != b.typeName { return .number(Double(i)) }
            return picked
        case (.abs, .int(let i), _):
            guard i != .min else { throw EvaluationError(message: "integer overflow", span: span) }
            return .int(Swift.abs(i))
        case (.abs, .number(let d), _): return .number(Swift.abs(d))
        case (.abs, .duration(let ms), _):
            guard ms != .min else { throw EvaluationError(message: "duration overflow", span: span) }
            return .duration(Swift.abs(ms))
        case (.join, .list(let elements), .string(let separator)):
            var out = ""
            for (i, element) in elements.enumerated() {
                let text = element.renderedText
                if out.utf8.count + separator.utf8.count + text.utf8.count > Evaluator.maxStringBytes {
                    throw EvaluationError(message: "string result is longer than 64 KiB", span: span)
                }
                if i > 0 { out += separator }
                out += text
            }
            return try produced(out, span: span)
        case (.formatDuration, .duration(let ms), _):
            return .string(ExprDuration.format(ms))
        default:
            throw badArguments(builtin, all(), span)
        }
    }

    private static func sameKind(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.int, .int), (.int, .number), (.number, .int), (.number, .number),
             (.duration, .duration), (.timestamp, .timestamp):
            return true
        default:
            return false
        }
    }

    /// First 16 lowercase hex characters of SHA-256 over the UTF-8 bytes.
    static func hash(_ text: String) -> String {
        var text = text
        let digest = text.withUTF8 { SHA256.hash(data: UnsafeRawBufferPointer($0)) }
        // The first 8 bytes as 16 lowercase hex digits, written in place.
        return String(unsafeUninitializedCapacity: 16) { out in
            var i = 0
            digest.withUnsafeBytes { bytes in
                for byte in bytes.prefix(8) {
                    out[i] = hexDigits[Int(byte >> 4)]
                    out[i + 1] = hexDigits[Int(byte & 0x0F)]
                    i += 2
                }
            }
            return i
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    private static func matches(_ text: String, _ pattern: String, span: ExprSpan) throws(EvaluationError) -> Bool {
        let regex: NSRegularExpression
        do {
            regex = try NSRegularExpression(pattern: pattern)
        } catch {
            throw EvaluationError(message: "invalid regular expression '\(pattern)'", span: span)
        }
        let range = NSRange(text.startIndex..<text.endIndex, in: text)
        return regex.firstMatch(in: text, range: range) != nil
    }
}
