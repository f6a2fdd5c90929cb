/// Lower-cases and simplifies text for matching code words, titles and synonyms: letters and
/// digits kept, `ё` read as `е`, everything else a single space, trimmed.
public enum TextNormalizer {
    public static func normalize(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in text.lowercased().unicodeScalars {
            let props = scalar.properties
            if props.isAlphabetic || props.numericType != nil {
                if pendingSpace && !out.isEmpty { out.append(" ") }
                pendingSpace = false
                out.append(scalar == "ё" ? "е" : scalar)
            } else if props.generalCategory == .nonspacingMark {
                continue
            } else {
                pendingSpace = true
            }
        }
        return String(out)
    }

    /// True when `phrase` occurs in `text` as whole words (both already normalized).
    public static func containsWords(_ text: String, _ phrase: String) -> Bool {
        guard !phrase.isEmpty, text.count >= phrase.count else { return false }
        if text == phrase { return true }
        return (" " + text + " ").contains(" " + phrase + " ")
    }
}

/// Code words (SPEC §2): matched on the whole normalized message; `pause` may carry a duration.
public enum CodeWords {
    public static func normalize(_ word: String) -> String { TextNormalizer.normalize(word) }

    /// The code word a message is, and for `pause` the snooze length it names (nil: default).
    public static func match(_ text: String, in settings: TenantSettings) -> (kind: TenantSettings.CodeWord, durationMS: Int64?)? {
        guard text.utf8.count <= 64 else { return nil }
        let normalized = normalize(text)
        guard !normalized.isEmpty else { return nil }
        if let kind = settings.codeWords[normalized] { return (kind, nil) }
        // "pause 2h", "пауза 30 минут", "snooze for 3 hours"
        let words = normalized.split(separator: " ")
        guard let first = words.first, settings.codeWords[String(first)] == .pause else { return nil }
        guard let duration = parseDuration(words.dropFirst().joined(separator: " ")) else { return nil }
        return (.pause, duration)
    }

    /// `2h`, `2 h`, `30 min`, `1 hour`, `3 часа`, `45 минут`, `for 2 hours`, `1 day`. nil if none.
    public static func parseDuration(_ text: String) -> Int64? {
        var words = text.split(separator: " ").map(String.init)
        if words.first == "for" || words.first == "на" { words.removeFirst() }
        guard !words.isEmpty else { return nil }
        // Split "2h" / "30min" into number and unit.
        var number: Int64?
        var unit = ""
        let first = words[0]
        let digits = first.prefix { $0.isASCII && $0.isNumber }
        if !digits.isEmpty {
            number = Int64(digits)
            unit = String(first.dropFirst(digits.count))
            if unit.isEmpty, words.count > 1 { unit = words[1] }
        } else if ["a", "an", "one", "один", "одна", "час", "hour", "день", "day"].contains(first) {
            number = 1
            unit = ["a", "an", "one", "один", "одна"].contains(first) ? (words.count > 1 ? words[1] : "") : first
        }
        guard let n = number, n > 0, n < 10_000 else { return nil }
        let minute: Int64 = 60_000, hour: Int64 = 3_600_000
        switch unit {
        case "m", "min", "mins", "minute", "minutes", "мин", "минута", "минуту", "минуты", "минут": return n * minute
        case "h", "hr", "hrs", "hour", "hours", "ч", "час", "часа", "часов": return n * hour
        case "d", "day", "days", "д", "день", "дня", "дней": return n * 24 * hour
        case "": return n * hour
        default: return nil
        }
    }
}
