import Crypto

/// Phone numbers are keys only as hashes: SHA-256 (hex) of the E.164 digits without `+`, the same
/// normalization Meta uses for `user_data.ph`.
public enum Phone {
    /// Digits only, international form: `+7 (999) 123-45-67` → `79991234567`. nil if it cannot be a phone.
    public static func normalize(_ raw: String) -> String? {
        var digits = raw.unicodeScalars.filter { $0 >= "0" && $0 <= "9" }.map(Character.init)
        if raw.trimmedWhitespace.hasPrefix("00") { digits.removeFirst(min(2, digits.count)) }
        guard (7...15).contains(digits.count) else { return nil }
        return String(digits)
    }

    public static func hash(_ raw: String) -> String? {
        guard let normalized = normalize(raw) else { return nil }
        return SHA256.hash(data: Array(normalized.utf8)).map { String($0, radix: 16).leftPadded(2) }.joined()
    }

    /// Whether `value` is a phone hash as `hash` makes it (64 lowercase hex digits), not the lane
    /// key of a lead known by another address (those carry a prefix, e.g. `bsuid-…`).
    public static func isHash(_ value: String) -> Bool {
        value.utf8.count == 64 && value.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }
}
