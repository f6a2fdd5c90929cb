/// Where a lead came from (SPEC §1), decided on the session's first message.
public struct EntryPoint: Sendable, Hashable {
    /// ctwa, qr, link or organic.
    public var kind: String
    /// Parsed fields: ctwa_clid, source_id, ad_id, ..., utm_*, product_id, location_id, promo_code.
    public var attribution: [String: String]
    /// The session id prefix: `ctwa_fb`, `qr_{product_id}`, `link_{utm_source}`, `direct`.
    public var idPrefix: String

    /// Session id: `{prefix}_{subscriber_id}_{timestamp_ms}`.
    public func sessionID(subscriberID: String, at ms: Int64) -> String {
        // Built in one buffer of the final size (interpolation grew it once or twice).
        var id = String()
        id.reserveCapacity(idPrefix.utf8.count + subscriberID.utf8.count + 22)
        id += idPrefix
        id += "_"
        id += subscriberID
        id += "_"
        id += String(ms)
        return id
    }

    /// The id of a subscriber's new session when `previous` is the id of their latest one: as above,
    /// but never at or before the previous session's timestamp, so a session that starts in the same
    /// millisecond (or from a late message) does not reuse — and overwrite — the previous session's id.
    public func sessionID(subscriberID: String, at ms: Int64, after previous: String?) -> String {
        guard let previous, let last = previous.split(separator: "_").last, let previousMS = Int64(last), ms <= previousMS else {
            return sessionID(subscriberID: subscriberID, at: ms)
        }
        return sessionID(subscriberID: subscriberID, at: previousMS + 1)
    }

    public static func detect(_ message: InboundMessage) -> EntryPoint {
        if let referral = message.referral, !referral.isEmpty {
            var fields = referral
            if fields["ad_id"] == nil, fields["source_type"] == "ad", let source = fields["source_id"] { fields["ad_id"] = source }
            // Fallback: utm_* tags from the ad's source_url.
            if let url = fields["source_url"], let query = url.split(separator: "?", maxSplits: 1).dropFirst().first {
                for (key, value) in parameters(String(query)) where key.hasPrefix("utm_") && fields[key] == nil {
                    fields[key] = value
                }
            }
            return EntryPoint(kind: "ctwa", attribution: fields, idPrefix: "ctwa_fb")
        }
        let text = message.text.trimmedWhitespace
        if isPlain(text) { return organic }
        if text.uppercased().hasPrefix("QR_") {
            var fields: [String: String] = [:]
            let params = parameters(text)
            for (key, value) in params where ["product_id", "location_id", "promo_code"].contains(key) || key.hasPrefix("utm_") {
                fields[key] = value
            }
            let code = text.prefix { $0 != "&" && $0 != " " && $0 != "?" }
            fields["qr_code"] = String(code)
            return EntryPoint(kind: "qr", attribution: fields, idPrefix: "qr_\(idSafe(fields["product_id"] ?? "none"))")
        }
        let params = parameters(text)
        let utm = params.filter { $0.key.hasPrefix("utm_") }
        if let source = utm.first(where: { $0.key == "utm_source" })?.value {
            var fields: [String: String] = [:]
            for (key, value) in utm { fields[key] = value }
            return EntryPoint(kind: "link", attribution: fields, idPrefix: "link_\(idSafe(source))")
        }
        return organic
    }

    static let organic = EntryPoint(kind: "organic", attribution: [:], idPrefix: "direct")

    /// ASCII text that neither starts with `QR_` (in any case) nor holds a `=` (no parameter):
    /// organic without splitting it into parameters (most first messages: "Hi", "Hello, ...").
    static func isPlain(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            if bytes.count >= 3, bytes[0] | 0x20 == UInt8(ascii: "q"), bytes[1] | 0x20 == UInt8(ascii: "r"),
               bytes[2] == UInt8(ascii: "_") {
                return false
            }
            for byte in bytes where byte >= 0x80 || byte == UInt8(ascii: "=") { return false }
            return true
        }
    }

    /// `key=value` pairs separated by `&`, `?` or whitespace, percent-decoded.
    static func parameters(_ text: String) -> [(key: String, value: String)] {
        var out: [(key: String, value: String)] = []
        for token in text.split(whereSeparator: { $0 == "&" || $0 == "?" || $0 == " " || $0 == "\n" }) {
            let parts = token.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let key = parts[0].lowercased()
            guard key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), !key.isEmpty else { continue }
            out.append((key, percentDecoded(String(parts[1])).prefix(200).description))
        }
        return out
    }

    static func percentDecoded(_ text: String) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%"), let h = iterator.next(), let l = iterator.next(),
               let value = UInt8(String(decoding: [h, l], as: UTF8.self), radix: 16) {
                bytes.append(value)
            } else if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Keeps ids readable and safe: ASCII letters, digits and `-`, at most 32 characters.
    static func idSafe(_ text: String) -> String {
        let kept = text.unicodeScalars.filter { $0.isASCII && (ASCIIClass.alnum($0) || $0 == "-") }
        let result = String(String.UnicodeScalarView(kept.prefix(32)))
        return result.isEmpty ? "none" : result
    }
}

enum ASCIIClass {
    static func alnum(_ s: Unicode.Scalar) -> Bool {
        (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") || (s >= "0" && s <= "9")
    }
}

extension String {
    /// Without leading and trailing whitespace (spaces, tabs, newlines).
    var trimmedWhitespace: String {
        // Nothing to trim (most texts): the first and last bytes are ASCII and not whitespace, so the
        // first and last characters are not whitespace either.
        if let first = utf8.first, let last = utf8.last, first < 0x80, last < 0x80,
           !Self.isASCIIWhitespace(first), !Self.isASCIIWhitespace(last) {
            return self
        }
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }

    /// Tab, line feed, vertical tab, form feed, carriage return, space.
    private static func isASCIIWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || (byte >= 0x09 && byte <= 0x0D) }
}
