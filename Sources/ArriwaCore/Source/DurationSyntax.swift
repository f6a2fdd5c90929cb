/// Durations as authors write them: `500ms`, `90s`, `15m`, `1h30m`, `2d`.
public enum DurationSyntax {
    /// Milliseconds, or nil when the text is not a duration.
    public static func milliseconds(_ text: String) -> Int64? {
        var total: Int64 = 0
        var number: Int64? = nil
        var sawUnit = false
        var chars = Array(text.unicodeScalars)[...]
        guard !chars.isEmpty, chars.count <= 64 else { return nil }
        while let c = chars.first {
            if let digit = c.properties.numericType != nil ? Int64(String(c)) : nil {
                let (m, o1) = (number ?? 0).multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(digit)
                guard !o1, !o2 else { return nil }
                number = s
                chars = chars.dropFirst()
                continue
            }
            guard let n = number else { return nil }
            let unit: Int64
            if chars.starts(with: "ms".unicodeScalars) {
                unit = 1
                chars = chars.dropFirst(2)
            } else {
                switch c {
                case "s": unit = 1_000
                case "m": unit = 60_000
                case "h": unit = 3_600_000
                case "d": unit = 86_400_000
                default: return nil
                }
                chars = chars.dropFirst()
            }
            let (part, o1) = n.multipliedReportingOverflow(by: unit)
            let (sum, o2) = total.addingReportingOverflow(part)
            guard !o1, !o2 else { return nil }
            total = sum
            number = nil
            sawUnit = true
        }
        return number == nil && sawUnit ? total : nil
    }

    /// `5400000` → `1h30m`.
    public static func format(milliseconds ms: Int64) -> String {
        if ms == 0 { return "0s" }
        var rest = ms
        var out = ""
        for (unit, name) in [(Int64(86_400_000), "d"), (3_600_000, "h"), (60_000, "m"), (1_000, "s"), (1, "ms")] where rest >= unit {
            out += "\(rest / unit)\(name)"
            rest %= unit
        }
        return out
    }
}
