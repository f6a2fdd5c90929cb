/// Duration text as used by `duration('1h30m')` and `format_duration(...)`; values are milliseconds.
public enum ExprDuration {
    private static let units: [(suffix: String, milliseconds: Int64)] = [
        ("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000),
    ]

    /// Parses `500ms`, `90s`, `15m`, `1h`, `1h30m`, `2d`, `-5m`: one or more `<digits><unit>` groups
    /// (units `ms`, `s`, `m`, `h`, `d`), optionally preceded by `-`. Nil if malformed or out of range.
    public static func parse(_ text: String) -> Int64? {
        var chars = Substring(text)
        var negative = false
        if chars.first == "-" {
            negative = true
            chars = chars.dropFirst()
        }
        guard !chars.isEmpty else { return nil }
        var total: Int64 = 0
        while !chars.isEmpty {
            let digits = chars.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, let amount = Int64(digits) else { return nil }
            chars = chars.dropFirst(digits.count)
            let letters = chars.prefix { $0.isASCII && $0.isLetter }
            guard let unit = units.first(where: { $0.suffix == letters }) else { return nil }
            chars = chars.dropFirst(letters.count)
            let (part, overflow1) = amount.multipliedReportingOverflow(by: unit.milliseconds)
            let (sum, overflow2) = total.addingReportingOverflow(part)
            guard !overflow1, !overflow2 else { return nil }
            total = sum
        }
        return negative ? -total : total
    }

    /// Formats milliseconds as `1h 30m`, `2d`, `500ms`, `1d 2h 3m 4s 5ms`, `0s`, `-15m`.
    public static func format(_ milliseconds: Int64) -> String {
        if milliseconds == 0 { return "0s" }
        var rest = milliseconds.magnitude
        var parts: [String] = []
        for unit in units.reversed() {
            let size = UInt64(unit.milliseconds)
            let count = rest / size
            rest %= size
            if count > 0 { parts.append("\(count)\(unit.suffix)") }
        }
        return (milliseconds < 0 ? "-" : "") + parts.joined(separator: " ")
    }
}
