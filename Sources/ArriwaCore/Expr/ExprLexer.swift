/// Turns expression text into tokens, one at a time, so that a template parser can stop at the
/// `}` closing an interpolation.
struct ExprLexer: Sendable {
    let chars: [Character]
    private(set) var position: Int

    init(chars: [Character], position: Int = 0) {
        self.chars = chars
        self.position = position
    }

    private func peek(_ ahead: Int = 0) -> Character? {
        let index = position + ahead
        return index < chars.count ? chars[index] : nil
    }

    // ASCII byte checks: Unicode property look-ups dominate lexing time otherwise.
    private static func isIdentifierStart(_ c: Character) -> Bool {
        guard let a = c.asciiValue else { return false }
        return (a >= 97 && a <= 122) || (a >= 65 && a <= 90) || a == 95
    }

    private static func isIdentifierPart(_ c: Character) -> Bool {
        guard let a = c.asciiValue else { return false }
        return (a >= 97 && a <= 122) || (a >= 65 && a <= 90) || (a >= 48 && a <= 57) || a == 95
    }

    private static func isDigit(_ c: Character?) -> Bool {
        guard let a = c?.asciiValue else { return false }
        return a >= 48 && a <= 57
    }

    mutating func next() throws(ExprError) -> ExprToken {
        while let c = peek(), c == " " || c.isWhitespace { position += 1 }
        let start = position
        guard let c = peek() else {
            return ExprToken(kind: .end, span: ExprSpan(offset: start, length: 0))
        }
        if c == "r" || c == "R", let quote = peek(1), quote == "'" || quote == "\"" {
            return try rawString(start, quote: quote)
        }
        if Self.isIdentifierStart(c) { return identifier(start) }
        if Self.isDigit(c) { return try number(start) }
        if c == "'" || c == "\"" { return try string(start, quote: c) }
        position += 1
        func single(_ kind: ExprToken.Kind) -> ExprToken {
            ExprToken(kind: kind, span: ExprSpan(offset: start, length: 1))
        }
        func double(_ kind: ExprToken.Kind) -> ExprToken {
            position += 1
            return ExprToken(kind: kind, span: ExprSpan(offset: start, length: 2))
        }
        switch c {
        case "(": return single(.leftParen)
        case ")": return single(.rightParen)
        case "[": return single(.leftBracket)
        case "]": return single(.rightBracket)
        case "{": return single(.leftBrace)
        case "}": return single(.rightBrace)
        case ".": return single(.dot)
        case ",": return single(.comma)
        case ":": return single(.colon)
        case "?": return single(.question)
        case "+": return single(.plus)
        case "-": return single(.minus)
        case "*": return single(.star)
        case "/": return single(.slash)
        case "%": return single(.percent)
        case "!": return peek() == "=" ? double(.notEqual) : single(.bang)
        case "<": return peek() == "=" ? double(.lessEqual) : single(.less)
        case ">": return peek() == "=" ? double(.greaterEqual) : single(.greater)
        case "=":
            if peek() == "=" { return double(.equal) }
            throw ExprError(message: "unexpected character '='; use '==' to compare", span: ExprSpan(offset: start, length: 1))
        case "&":
            if peek() == "&" { return double(.and) }
            throw ExprError(message: "unexpected character '&'; use '&&' for logical and", span: ExprSpan(offset: start, length: 1))
        case "|":
            if peek() == "|" { return double(.or) }
            throw ExprError(message: "unexpected character '|'; use '||' for logical or", span: ExprSpan(offset: start, length: 1))
        default:
            throw ExprError(message: "unexpected character '\(Self.printable(c))'", span: ExprSpan(offset: start, length: 1))
        }
    }

    /// A character as it should appear in a message (control characters escaped).
    static func printable(_ c: Character) -> String {
        var out = ""
        for scalar in c.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private mutating func identifier(_ start: Int) -> ExprToken {
        while let c = peek(), Self.isIdentifierPart(c) { position += 1 }
        let text = String(chars[start..<position])
        let span = ExprSpan(offset: start, length: position - start)
        switch text {
        case "true": return ExprToken(kind: .trueKeyword, span: span)
        case "false": return ExprToken(kind: .falseKeyword, span: span)
        case "null": return ExprToken(kind: .nullKeyword, span: span)
        case "in": return ExprToken(kind: .inKeyword, span: span)
        default: return ExprToken(kind: .identifier(text), span: span)
        }
    }

    private mutating func number(_ start: Int) throws(ExprError) -> ExprToken {
        while Self.isDigit(peek()) { position += 1 }
        var isDecimal = false
        if peek() == ".", Self.isDigit(peek(1)) {
            isDecimal = true
            position += 1
            while Self.isDigit(peek()) { position += 1 }
        }
        if peek() == "e" || peek() == "E" {
            let signed = peek(1) == "+" || peek(1) == "-"
            if Self.isDigit(peek(signed ? 2 : 1)) {
                isDecimal = true
                position += signed ? 2 : 1
                while Self.isDigit(peek()) { position += 1 }
            }
        }
        if let c = peek(), Self.isIdentifierPart(c) {
            while let c = peek(), Self.isIdentifierPart(c) { position += 1 }
            let text = String(chars[start..<position])
            throw ExprError(
                message: "invalid number '\(text)' (durations are written duration('15m'))",
                span: ExprSpan(offset: start, length: position - start))
        }
        let text = String(chars[start..<position])
        let span = ExprSpan(offset: start, length: position - start)
        if isDecimal {
            guard let value = Double(text), value.isFinite else {
                throw ExprError(message: "number '\(text)' is out of range", span: span)
            }
            return ExprToken(kind: .number(value), span: span)
        }
        guard let value = UInt64(text), value <= UInt64(Int64.max) + 1 else {
            throw ExprError(message: "integer '\(text)' is out of range", span: span)
        }
        return ExprToken(kind: .int(value), span: span)
    }

    /// `r'...'` / `r"..."`: no escapes at all (for regular expressions: `r'^\d+$'`).
    private mutating func rawString(_ start: Int, quote: Character) throws(ExprError) -> ExprToken {
        position += 2
        var value = ""
        while let c = peek() {
            position += 1
            if c == quote {
                return ExprToken(kind: .string(value), span: ExprSpan(offset: start, length: position - start))
            }
            value.append(c)
        }
        throw ExprError(message: "unterminated string", span: ExprSpan(offset: start, length: position - start))
    }

    private mutating func string(_ start: Int, quote: Character) throws(ExprError) -> ExprToken {
        position += 1
        var value = ""
        while true {
            guard let c = peek() else {
                throw ExprError(message: "unterminated string", span: ExprSpan(offset: start, length: position - start))
            }
            if c == quote {
                position += 1
                return ExprToken(kind: .string(value), span: ExprSpan(offset: start, length: position - start))
            }
            if c == "\\" {
                guard let escaped = peek(1) else {
                    throw ExprError(message: "unterminated string", span: ExprSpan(offset: start, length: position + 1 - start))
                }
                switch escaped {
                case "n": value.append("\n")
                case "t": value.append("\t")
                case "r": value.append("\r")
                case "\\": value.append("\\")
                case "'": value.append("'")
                case "\"": value.append("\"")
                default:
                    throw ExprError(
                        message: "invalid escape '\\\(Self.printable(escaped))' in string (allowed: \\n \\t \\r \\\\ \\' \\\"; write regular expressions as raw strings: r'^\\d+$')",
                        span: ExprSpan(offset: position, length: 2))
                }
                position += 2
                continue
            }
            value.append(c)
            position += 1
        }
    }
}
