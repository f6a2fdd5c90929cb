/// Lower-cases and simplifies text for matching code words, titles and synonyms: letters and
/// digits kept, `ё` read as `е`, everything else a single space, trimmed.
public enum TextNormalizer {
    public static func normalize(_ text: String) -> String {
        if let ascii = normalizeASCII(text) { return ascii }
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

    /// `normalize` for all-ASCII text, byte by byte (most answers and code words): in ASCII the
    /// alphabetic scalars are A–Z and a–z, the numeric ones 0–9, and there are no combining marks.
    /// nil when the text is not ASCII.
    private static func normalizeASCII(_ text: String) -> String? {
        var text = text
        return text.withUTF8 { bytes -> String? in
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
            return String(unsafeUninitializedCapacity: bytes.count) { out in
                var count = 0
                var pendingSpace = false
                for byte in bytes {
                    let lower = byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte
                    if (lower >= 0x61 && lower <= 0x7A) || (lower >= 0x30 && lower <= 0x39) {
                        if pendingSpace && count > 0 {
                            out[count] = 0x20
                            count += 1
                        }
                        pendingSpace = false
                        out[count] = lower
                        count += 1
                    } else {
                        pendingSpace = true
                    }
                }
                return count
            }
        }
    }

    /// True when `phrase` occurs in `text` as whole words (both already normalized).
    public static func containsWords(_ text: String, _ phrase: String) -> Bool {
        guard !phrase.isEmpty, text.count >= phrase.count else { return false }
        if text == phrase { return true }
        if let found = containsWordsASCII(text, phrase) { return found }
        return (" " + text + " ").contains(" " + phrase + " ")
    }

    /// `containsWords` on ASCII text as a byte search (the Foundation string search above is the
    /// classifier's largest cost): the phrase's bytes with a space or an end on both sides. nil when
    /// either string is not ASCII.
    private static func containsWordsASCII(_ text: String, _ phrase: String) -> Bool? {
        var text = text, phrase = phrase
        return text.withUTF8 { t -> Bool? in
            phrase.withUTF8 { p -> Bool? in
                guard t.allSatisfy({ $0 < 0x80 }), p.allSatisfy({ $0 < 0x80 }) else { return nil }
                guard p.count <= t.count else { return false }
                var start = 0
                while start + p.count <= t.count {
                    if start == 0 || t[start - 1] == 0x20, start + p.count == t.count || t[start + p.count] == 0x20,
                       (0..<p.count).allSatisfy({ t[start + $0] == p[$0] }) {
                        return true
                    }
                    start += 1
                }
                return false
            }
        }
    }
}

/// Code words (SPEC §2): matched on the whole normalized message; `pause` may carry a duration.
public enum CodeWords {
    public static func normalize(_ word: String) -> String { TextNormalizer.normalize(word) }

    /// The code word a message is, and for `pause` the snooze length it names (nil: default).
    public static func match(_ text: String, in settings: TenantSettings) -> (kind: TenantSettings.CodeWord, durationMS: Int64?)? {
        match(text, codeWords: settings.codeWords)
    }

    /// `match(_:in:)` given the settings' code words (the engine passes only these: passing the
    /// settings copied their ~20 fields for every message).
    static func match(_ text: String, codeWords: [String: TenantSettings.CodeWord]) -> (kind: TenantSettings.CodeWord, durationMS: Int64?)? {
        guard text.utf8.count <= 64 else { return nil }
        let normalized = normalize(text)
        guard !normalized.isEmpty else { return nil }
        if let kind = codeWords[normalized] { return (kind, nil) }
        // One word that is not a code word (most answers): nothing to split.
        if !normalized.utf8.contains(0x20) { return nil }
        // "pause 2h", "пауза 30 минут", "snooze for 3 hours"
        // Only the first word decides whether this can be a pause: split the rest only then.
        guard let space = normalized.utf8.firstIndex(of: 0x20),
              codeWords[String(normalized[..<space])] == .pause else { return nil }
        let words = normalized.split(separator: " ")
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
