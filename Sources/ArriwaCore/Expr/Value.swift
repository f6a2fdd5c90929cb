/// A runtime value.
public enum Value: Sendable, Hashable {
    case string(String)
    case int(Int64)
    case number(Double)
    case bool(Bool)
    /// Milliseconds.
    case duration(Int64)
    /// Unix time in milliseconds.
    case timestamp(Int64)
    case null
    case list([Value])
    case map([String: Value])

    /// The name of the value's type, for messages.
    public var typeName: String {
        switch self {
        case .string: return "string"
        case .int: return "int"
        case .number: return "number"
        case .bool: return "bool"
        case .duration: return "duration"
        case .timestamp: return "timestamp"
        case .null: return "null"
        case .list: return "list"
        case .map: return "map"
        }
    }

    /// Text for templates, `string(x)` and `hash(x)`: strings as is; integers in decimal; numbers
    /// without a trailing `.0` when integral; `true`/`false`; durations like `1h 30m`; timestamps as
    /// ISO 8601 UTC (`2024-05-01T12:00:00Z`, with `.123` when there are milliseconds); null as the
    /// empty string; lists and maps as JSON (map keys sorted).
    public var renderedText: String {
        switch self {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .number(let d): return Value.render(number: d)
        case .bool(let b): return b ? "true" : "false"
        case .duration(let ms): return ExprDuration.format(ms)
        case .timestamp(let ms): return Value.iso8601(ms)
        case .null: return ""
        case .list, .map:
            var out = ""
            appendJSON(to: &out)
            return out
        }
    }

    static func render(number d: Double) -> String {
        if d.isFinite, d == d.rounded(), abs(d) < 1e15 {
            return String(Int64(d))
        }
        return String(d)
    }

    private func appendJSON(to out: inout String) {
        switch self {
        case .string(let s):
            JSONText.quote(s, into: &out)
        case .null:
            out += "null"
        case .list(let elements):
            out += "["
            for (i, element) in elements.enumerated() {
                if i > 0 { out += "," }
                element.appendJSON(to: &out)
            }
            out += "]"
        case .map(let entries):
            out += "{"
            for (i, key) in entries.keys.sorted().enumerated() {
                if i > 0 { out += "," }
                Value.string(key).appendJSON(to: &out)
                out += ":"
                entries[key]?.appendJSON(to: &out)
            }
            out += "}"
        case .int, .number, .bool:
            out += renderedText
        case .duration, .timestamp:
            Value.string(renderedText).appendJSON(to: &out)
        }
    }

    /// `2024-05-01T12:00:00Z` / `2024-05-01T12:00:00.250Z` (proleptic Gregorian, UTC).
    public static func iso8601(_ milliseconds: Int64) -> String {
        let msPerDay: Int64 = 86_400_000
        var days = milliseconds / msPerDay
        var msOfDay = milliseconds % msPerDay
        if msOfDay < 0 {
            msOfDay += msPerDay
            days -= 1
        }
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ v: Int64, _ width: Int) -> String {
            let s = String(v.magnitude)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        let hour = msOfDay / 3_600_000
        let minute = msOfDay / 60_000 % 60
        let second = msOfDay / 1_000 % 60
        let millis = msOfDay % 1_000
        var text = (year < 0 ? "-" : "") + pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2)
        text += "T" + pad(hour, 2) + ":" + pad(minute, 2) + ":" + pad(second, 2)
        if millis != 0 { text += "." + pad(millis, 3) }
        return text + "Z"
    }
}
