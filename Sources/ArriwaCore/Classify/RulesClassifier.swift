/// The offline classifier (the default, and the first one asked): reply ids, option titles and
/// synonyms in every declared language, numbers and ranges, the manifest's regexes. Pure and
/// deterministic; confidence says how sure it is, so a model is asked only when it is not.
public struct RulesClassifier: Sendable {
    /// Matching data for one step, normalized once.
    public struct Index: Sendable {
        var kind: String
        var optionIDs: Set<String>
        var orderedOptions: [String]
        /// (normalized phrase, option id); titles before synonyms.
        var phrases: [(phrase: String, option: String)]
        var ranges: [(min: Double, max: Double, option: String)]
        var patterns: [StepPattern]
        var examples: Set<String>
        var hasOptions: Bool

        public init(step: CompiledStep) {
            self.init(kind: step.kind, options: step.options.map { option in
                ClassifyRequest.Option(id: option.id, titles: option.titleTexts, synonyms: option.synonyms,
                                       min: option.min, max: option.max)
            }, examples: step.examples, patterns: step.compiledPatterns)
        }

        public init(request: ClassifyRequest) {
            self.init(kind: request.kind, options: request.options, examples: request.examples,
                      patterns: request.patterns.compactMap(StepPattern.init))
        }

        init(kind: String, options: [ClassifyRequest.Option], examples: [String], patterns: [StepPattern]) {
            self.kind = kind
            optionIDs = Set(options.map(\.id))
            orderedOptions = options.map(\.id)
            var phrases: [(phrase: String, option: String)] = []
            for option in options {
                for text in [option.id] + option.titles + option.synonyms {
                    let phrase = TextNormalizer.normalize(text)
                    if !phrase.isEmpty, !phrases.contains(where: { $0.phrase == phrase && $0.option == option.id }) {
                        phrases.append((phrase, option.id))
                    }
                }
            }
            self.phrases = phrases
            ranges = options.compactMap { option in
                guard option.min != nil || option.max != nil else { return nil }
                return (option.min ?? -.infinity, option.max ?? .infinity, option.id)
            }
            self.patterns = patterns
            self.examples = Set(examples.map(TextNormalizer.normalize))
            hasOptions = !options.isEmpty
        }
    }

    public init() {}

    public func classify(_ request: ClassifyRequest) -> Classification {
        Self.classify(Index(request: request), text: request.input, replyID: request.replyID)
    }

    public static func classify(_ index: Index, text: String, replyID: String?) -> Classification {
        // 1. A tapped button or row of this step: certain.
        if let replyID, index.optionIDs.contains(replyID) {
            return Classification(validity: .valid, confidence: 1.0, answer: replyID, qualityScore: 1.0)
        }
        let normalized = TextNormalizer.normalize(text)
        if normalized.isEmpty {
            return Classification(validity: .noise, confidence: 0.0, qualityScore: 0)
        }
        let isQuestion = containsQuestionMark(text)
        // 2. Numbers against the options' ranges.
        if index.kind == "number" {
            if let number = NumberParser.firstNumber(in: text) {
                if index.ranges.isEmpty {
                    return Classification(validity: .valid, confidence: 0.9, answer: Value.render(number: number), qualityScore: 0.8)
                }
                let hits = index.ranges.filter { number >= $0.min && number <= $0.max }
                if hits.count == 1 {
                    return Classification(validity: .valid, confidence: 0.9, answer: hits[0].option, qualityScore: 0.8)
                }
                return Classification(validity: .ambiguous, confidence: 0.45, answer: nil, qualityScore: 0.3)
            }
        }
        // 3. A choice typed by its number ("2" for the second row), as leads often do.
        if index.kind == "buttons" || index.kind == "list", let n = Int(normalized), n >= 1, n <= index.orderedOptions.count {
            return Classification(validity: .valid, confidence: 0.85, answer: index.orderedOptions[n - 1], qualityScore: 0.5)
        }
        // 4. Titles, ids and synonyms: the whole answer, then as words inside it.
        var exact = Set<String>()
        for entry in index.phrases where entry.phrase == normalized { exact.insert(entry.option) }
        if exact.count == 1, let option = exact.first {
            return Classification(validity: .valid, confidence: 0.95, answer: option, qualityScore: 0.7)
        }
        var contained = Set<String>()
        for entry in index.phrases where TextNormalizer.containsWords(normalized, entry.phrase) { contained.insert(entry.option) }
        if exact.count > 1 || contained.count > 1 {
            return Classification(validity: .ambiguous, confidence: 0.5, answer: nil, qualityScore: 0.3)
        }
        if contained.count == 1, let option = contained.first {
            return Classification(validity: .valid, confidence: isQuestion ? 0.6 : 0.8, answer: option, qualityScore: 0.6,
                                  offscript: false)
        }
        // 5. Free-text steps: examples and patterns.
        if index.kind == "text" || !index.hasOptions {
            let cleaned = text.trimmedWhitespace
            if index.examples.contains(normalized) {
                return Classification(validity: .valid, confidence: 0.9, answer: cleaned, qualityScore: 0.7)
            }
            if !isQuestion, !index.patterns.isEmpty {
                if index.patterns.contains(where: { $0.matches(cleaned) }) {
                    let quality = min(1.0, Double(normalized.count) / 30.0)
                    return Classification(validity: .valid, confidence: 0.8, answer: cleaned, qualityScore: quality)
                }
                return Classification(validity: .noise, confidence: 0.2, qualityScore: 0.1)
            }
            if isQuestion {
                return Classification(validity: .ambiguous, confidence: 0.4, qualityScore: 0.2, offscript: true)
            }
            // No pattern to judge by: a model decides; alone, the rules call it ambiguous.
            return Classification(validity: .ambiguous, confidence: 0.5, answer: nil, qualityScore: 0.3)
        }
        if isQuestion {
            return Classification(validity: .ambiguous, confidence: 0.4, qualityScore: 0.2, offscript: true)
        }
        return Classification(validity: .noise, confidence: 0.1, qualityScore: 0.0)
    }
}

/// `text.contains("?")` (Foundation's search) with a byte scan for ASCII text, where the two agree.
func containsQuestionMark(_ text: String) -> Bool {
    let utf8 = text.utf8
    if utf8.allSatisfy({ $0 < 0x80 }) { return utf8.contains(UInt8(ascii: "?")) }
    return text.contains("?")
}

/// Reads amounts as people write them: `2000`, `$1,500`, `2 000`, `about 3k`, `1.5k`, `3 тысячи`, `2 million`.
public enum NumberParser {
    public static func firstNumber(in text: String) -> Double? {
        if let ascii = firstNumberASCII(in: text) { return ascii }
        return firstNumberCharacters(in: text)
    }

    /// `firstNumber` on `Character`s (any text).
    static func firstNumberCharacters(in text: String) -> Double? {
        let chars = Array(text.lowercased())
        func isDigit(_ k: Int) -> Bool { k >= 0 && k < chars.count && chars[k].isASCII && chars[k].isNumber }
        var i = 0
        while i < chars.count {
            guard isDigit(i) else { i += 1; continue }
            var digits = ""
            var sawDecimal = false
            var j = i
            while j < chars.count {
                let c = chars[j]
                if isDigit(j) {
                    digits.append(c)
                } else if [",", " ", "\u{00A0}", "'"].contains(c), !sawDecimal,
                          isDigit(j + 1), isDigit(j + 2), isDigit(j + 3), !isDigit(j + 4) {
                    // a thousands separator: exactly three digits follow
                } else if c == "." || c == ",", !sawDecimal, isDigit(j + 1) {
                    sawDecimal = true
                    digits.append(".")
                } else {
                    break
                }
                j += 1
            }
            guard var value = Double(digits) else { i = j + 1; continue }
            // A multiplier word right after the number.
            let rest = String(chars[j...]).drop { $0 == " " }
            if rest.hasPrefix("k") || rest.hasPrefix("к") || rest.hasPrefix("тыс") || rest.hasPrefix("thousand") {
                value *= 1_000
            } else if rest.hasPrefix("млн") || rest.hasPrefix("million") || (rest.hasPrefix("m") && !rest.hasPrefix("mi") && !rest.hasPrefix("mo")) {
                value *= 1_000_000
            }
            return value
        }
        return nil
    }

    /// `firstNumber` for ASCII text without CR (then every byte is one `Character`), byte by byte:
    /// the same rules, minus the non-ASCII separator and multiplier words. nil when the text is not
    /// such text; `.some(nil)` when it holds no number.
    static func firstNumberASCII(in text: String) -> Double?? {
        var text = text
        return text.withUTF8 { raw -> Double?? in
            guard raw.allSatisfy({ $0 < 0x80 && $0 != 0x0D }) else { return nil }
            let count = raw.count
            func byte(_ k: Int) -> UInt8 {
                let b = raw[k]
                return b >= 0x41 && b <= 0x5A ? b + 0x20 : b
            }
            func isDigit(_ k: Int) -> Bool { k >= 0 && k < count && raw[k] >= 0x30 && raw[k] <= 0x39 }
            var i = 0
            while i < count {
                guard isDigit(i) else { i += 1; continue }
                // A string, not a byte array: up to 15 digits it stays inline (no allocation).
                var digits = String()
                var sawDecimal = false
                var j = i
                while j < count {
                    let c = byte(j)
                    if isDigit(j) {
                        digits.unicodeScalars.append(Unicode.Scalar(c))
                    } else if c == 0x2C || c == 0x20 || c == 0x27, !sawDecimal,
                              isDigit(j + 1), isDigit(j + 2), isDigit(j + 3), !isDigit(j + 4) {
                        // a thousands separator: exactly three digits follow
                    } else if c == 0x2E || c == 0x2C, !sawDecimal, isDigit(j + 1) {
                        sawDecimal = true
                        digits.unicodeScalars.append(".")
                    } else {
                        break
                    }
                    j += 1
                }
                guard var value = Double(digits) else { i = j + 1; continue }
                // A multiplier word right after the number.
                var r = j
                while r < count, raw[r] == 0x20 { r += 1 }
                func restHasPrefix(_ word: StaticString) -> Bool {
                    let n = word.utf8CodeUnitCount
                    guard r + n <= count else { return false }
                    let w = word.utf8Start
                    for k in 0..<n where byte(r + k) != w[k] { return false }
                    return true
                }
                if restHasPrefix("k") || restHasPrefix("thousand") {
                    value *= 1_000
                } else if restHasPrefix("million") || (restHasPrefix("m") && !restHasPrefix("mi") && !restHasPrefix("mo")) {
                    value *= 1_000_000
                }
                return .some(value)
            }
            return .some(nil)
        }
    }
}
