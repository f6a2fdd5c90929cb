/// Text written either once for every language or per language: `{en: "...", ru: "..."}`.
public struct LocalizedText: Sendable, Hashable {
    public struct Variant: Sendable, Hashable {
        /// nil when the text is for every language.
        public var language: String?
        public var scalar: YScalar
        public var text: String { scalar.text }
    }
    public var variants: [Variant]
    public var location: SourceLocation

    public init?(_ node: YNode?) {
        guard let node else { return nil }
        switch node {
        case .scalar(let s) where !s.isNull:
            variants = [Variant(language: nil, scalar: s)]
        case .mapping(let m):
            variants = m.pairs.compactMap { pair in
                pair.value.scalar.map { Variant(language: pair.key.text, scalar: $0) }
            }
        default:
            return nil
        }
        location = node.location
    }

    /// The text for a language, falling back to the language-neutral text, then the first.
    public func text(for language: String) -> String? {
        (variants.first { $0.language == language } ?? variants.first { $0.language == nil } ?? variants.first)?.text
    }
}

/// Lists written once or per language: synonyms, code words, examples.
public struct LocalizedList: Sendable, Hashable {
    public var byLanguage: [String?: [Located<String>]]
    public var location: SourceLocation

    public init?(_ node: YNode?) {
        guard let node else { return nil }
        var result: [String?: [Located<String>]] = [:]
        func items(_ n: YNode) -> [Located<String>] {
            n.sequence?.items.compactMap { item in item.string.map { Located($0, at: item.location) } } ?? []
        }
        switch node {
        case .sequence: result[nil] = items(node)
        case .mapping(let m): for pair in m.pairs { result[pair.key.text] = items(pair.value) }
        default: return nil
        }
        byLanguage = result
        location = node.location
    }

    public var all: [Located<String>] { byLanguage.keys.sorted { ($0 ?? "") < ($1 ?? "") }.flatMap { byLanguage[$0] ?? [] } }
    public var isEmpty: Bool { byLanguage.values.allSatisfy(\.isEmpty) }
}

extension YMapping {
    func located(_ key: String) -> Located<String>? {
        guard let node = self[key], let text = node.string else { return nil }
        return Located(text, at: node.location)
    }

    func int(_ key: String) -> Located<Int>? {
        guard let node = self[key], let value = node.scalar?.intValue else { return nil }
        return Located(value, at: node.location)
    }

    func double(_ key: String) -> Located<Double>? {
        guard let node = self[key], let value = node.scalar?.doubleValue else { return nil }
        return Located(value, at: node.location)
    }

    func bool(_ key: String) -> Bool? { self[key]?.scalar?.boolValue }

    func durationMS(_ key: String) -> Located<Int64>? {
        guard let node = self[key], let text = node.string, let ms = DurationSyntax.milliseconds(text) else { return nil }
        return Located(ms, at: node.location)
    }

    func identifiers(_ key: String) -> [Located<String>] {
        self[key]?.sequence?.items.compactMap { item in item.string.map { Located($0, at: item.location) } } ?? []
    }

    func stringMap(_ key: String) -> [(key: Located<String>, value: YNode)] {
        self[key]?.mapping?.pairs.map { (Located($0.key.text, at: $0.key.location), $0.value) } ?? []
    }
}
