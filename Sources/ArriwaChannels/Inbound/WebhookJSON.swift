/// A webhook body read as a JSON tree, tolerant and bounded: any byte sequence either parses or
/// throws (never traps), nesting is capped, and every object keeps the byte range it was read
/// from so a block (the CTWA `referral`) can be stored exactly as the provider sent it.
///
/// Duplicate keys: the last one wins (as in most JSON readers, JavaScript's included).
public indirect enum WebhookJSON: Sendable, Hashable {
    case object([String: WebhookJSON], raw: Range<Int>)
    case array([WebhookJSON])
    case string(String)
    /// The number as written (`1767702341`, `1.5e3`).
    case number(String)
    case bool(Bool)
    case null

    /// The deepest nesting read; deeper bodies are refused (a webhook nests 7 levels).
    public static let maxDepth = 64

    public struct SyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
        public var offset: Int
        public var reason: String
        public var description: String { "not JSON at byte \(offset): \(reason)" }
    }

    /// Parses `bytes` (UTF-8). Throws `SyntaxError` for anything that is not one JSON value.
    public static func parse(_ bytes: [UInt8]) throws(SyntaxError) -> WebhookJSON {
        var reader = WebhookJSONReader(bytes: bytes)
        let value = try reader.value(depth: 0)
        reader.skipSpace()
        guard reader.index == bytes.count else { throw reader.error("trailing bytes after the value") }
        return value
    }

    public subscript(key: String) -> WebhookJSON? {
        if case .object(let members, _) = self { return members[key] }
        return nil
    }

    public var objectMembers: [String: WebhookJSON]? {
        if case .object(let members, _) = self { return members }
        return nil
    }

    public var array: [WebhookJSON]? {
        if case .array(let items) = self { return items }
        return nil
    }

    /// The string value; nil for any other type.
    public var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// A string, or a number as written, or a bool as text: what a flat referral field keeps.
    public var scalarText: String? {
        switch self {
        case .string(let text): text
        case .number(let text): text
        case .bool(let flag): flag ? "true" : "false"
        case .object, .array, .null: nil
        }
    }

    /// An integer from a number or a string of digits (Meta sends timestamps as strings).
    public var int64: Int64? {
        switch self {
        case .number(let text), .string(let text): Int64(text)
        default: nil
        }
    }

    public var bool: Bool? {
        if case .bool(let flag) = self { return flag }
        return nil
    }
}

/// The byte-level reader behind `WebhookJSON.parse`.
struct WebhookJSONReader {
    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    func error(_ reason: String) -> WebhookJSON.SyntaxError {
        WebhookJSON.SyntaxError(offset: index, reason: reason)
    }

    mutating func skipSpace() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 {
            index += 1
        }
    }

    mutating func value(depth: Int) throws(WebhookJSON.SyntaxError) -> WebhookJSON {
        guard depth < WebhookJSON.maxDepth else { throw error("nested deeper than \(WebhookJSON.maxDepth) levels") }
        skipSpace()
        guard index < bytes.count else { throw error("unexpected end") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw error("unexpected byte")
        }
    }

    mutating func literal(_ word: StaticString) throws(WebhookJSON.SyntaxError) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw error("unexpected end") }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] {
            throw error("bad literal")
        }
        index += count
    }

    mutating func object(depth: Int) throws(WebhookJSON.SyntaxError) -> WebhookJSON {
        let start = index
        index += 1
        var members: [String: WebhookJSON] = [:]
        skipSpace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(members, raw: start..<index)
        }
        while true {
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a key") }
            let key = try string()
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':'") }
            index += 1
            members[key] = try value(depth: depth + 1)
            skipSpace()
            guard index < bytes.count else { throw error("unexpected end in an object") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            guard bytes[index] == UInt8(ascii: "}") else { throw error("expected ',' or '}'") }
            index += 1
            return .object(members, raw: start..<index)
        }
    }

    mutating func array(depth: Int) throws(WebhookJSON.SyntaxError) -> WebhookJSON {
        index += 1
        var items: [WebhookJSON] = []
        skipSpace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(items)
        }
        while true {
            items.append(try value(depth: depth + 1))
            skipSpace()
            guard index < bytes.count else { throw error("unexpected end in an array") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            guard bytes[index] == UInt8(ascii: "]") else { throw error("expected ',' or ']'") }
            index += 1
            return .array(items)
        }
    }

    mutating func number() throws(WebhookJSON.SyntaxError) -> String {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        var digits = 0
        while index < bytes.count {
            let byte = bytes[index]
            let isNumberByte = (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: ".")
                || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
            guard isNumberByte else { break }
            if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { digits += 1 }
            index += 1
        }
        guard digits > 0 else { throw error("a number without digits") }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    mutating func string() throws(WebhookJSON.SyntaxError) -> String {
        index += 1
        let start = index
        // Fast path: no escapes.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                defer { index += 1 }
                return String(decoding: bytes[start..<index], as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { throw error("a control character in a string") }
            index += 1
        }
        var out = Array(bytes[start..<min(index, bytes.count)])
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return String(decoding: out, as: UTF8.self)
            }
            guard byte >= 0x20 else { throw error("a control character in a string") }
            if byte != UInt8(ascii: "\\") {
                out.append(byte)
                index += 1
                continue
            }
            index += 1
            guard index < bytes.count else { break }
            let escaped = bytes[index]
            index += 1
            switch escaped {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escaped)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"): appendScalar(try unicodeEscape(), to: &out)
            default: throw error("a bad escape")
            }
        }
        throw error("an unterminated string")
    }

    /// `\uXXXX`, joining a surrogate pair; a lone surrogate becomes U+FFFD.
    mutating func unicodeEscape() throws(WebhookJSON.SyntaxError) -> Unicode.Scalar {
        let high = try hex4()
        if (0xD800...0xDBFF).contains(high) {
            if index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                let saved = index
                index += 2
                let low = try hex4()
                if (0xDC00...0xDFFF).contains(low) {
                    return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)) ?? "\u{FFFD}"
                }
                index = saved
            }
            return "\u{FFFD}"
        }
        return Unicode.Scalar(high) ?? "\u{FFFD}"
    }

    mutating func hex4() throws(WebhookJSON.SyntaxError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("a short \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw error("a bad \\u escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    /// UTF-8 of `scalar`, written directly (Meta escapes every non-ASCII character as `\uXXXX`).
    func appendScalar(_ scalar: Unicode.Scalar, to out: inout [UInt8]) {
        let value = scalar.value
        switch value {
        case 0..<0x80:
            out.append(UInt8(value))
        case 0x80..<0x800:
            out.append(0xC0 | UInt8(value >> 6))
            out.append(0x80 | UInt8(value & 0x3F))
        case 0x800..<0x10000:
            out.append(0xE0 | UInt8(value >> 12))
            out.append(0x80 | UInt8((value >> 6) & 0x3F))
            out.append(0x80 | UInt8(value & 0x3F))
        default:
            out.append(0xF0 | UInt8(value >> 18))
            out.append(0x80 | UInt8((value >> 12) & 0x3F))
            out.append(0x80 | UInt8((value >> 6) & 0x3F))
            out.append(0x80 | UInt8(value & 0x3F))
        }
    }
}
