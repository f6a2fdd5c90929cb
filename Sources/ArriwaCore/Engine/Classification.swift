/// What a classifier says about the lead's answer to a manifest step.
public struct Classification: Sendable, Hashable, Codable {
    public enum Validity: String, Sendable, Hashable, Codable, CaseIterable {
        case valid, ambiguous, noise
    }

    public var validity: Validity
    /// 0...1.
    public var confidence: Double
    /// The parsed answer (`answer_parsed`): an option id, a number, or the cleaned text. nil for noise.
    public var answer: String?
    /// 0...1: how useful the answer is beyond being valid (detail, specificity).
    public var qualityScore: Double
    /// The lead asked something off-script instead of answering.
    public var offscript: Bool
    /// Who classified: `rules`, `llm:<model>`, `fallback`.
    public var source: String

    public init(validity: Validity, confidence: Double, answer: String? = nil, qualityScore: Double = 0,
                offscript: Bool = false, source: String = "rules") {
        self.validity = validity
        self.confidence = min(1, max(0, confidence.isFinite ? confidence : 0))
        self.answer = answer
        self.qualityScore = min(1, max(0, qualityScore.isFinite ? qualityScore : 0))
        self.offscript = offscript
        self.source = source
    }

    /// The decision matrix (SPEC §3): valid needs both the verdict and confidence ≥ valid; noise is a
    /// noise verdict or confidence < noise; everything between is ambiguous.
    public func outcome(valid: Double, noise: Double) -> ClassifyOutcome {
        if offscript { return .offscript }
        if validity == .valid && confidence >= valid && answer != nil { return .valid }
        if validity == .noise || confidence < noise { return .noise }
        return .ambiguous
    }
}

/// The edge an `llm.classify` node takes.
public enum ClassifyOutcome: String, Sendable, Hashable, Codable {
    case valid, ambiguous, noise, offscript, error
}

/// Everything a classifier needs about one answer, self-contained so classifiers need no manifest.
public struct ClassifyRequest: Sendable, Hashable, Codable {
    public struct Option: Sendable, Hashable, Codable {
        public var id: String
        /// Titles in every declared language.
        public var titles: [String]
        public var synonyms: [String]
        public var description: String?
        public var min: Double?
        public var max: Double?

        public init(id: String, titles: [String], synonyms: [String] = [], description: String? = nil,
                    min: Double? = nil, max: Double? = nil) {
            self.id = id
            self.titles = titles
            self.synonyms = synonyms
            self.description = description
            self.min = min
            self.max = max
        }
    }

    public var tenant: String
    public var sessionID: String
    public var stepID: String
    /// buttons, list, number or text.
    public var kind: String
    public var question: String
    public var language: String
    public var options: [Option]
    public var examples: [String]
    public var patterns: [String]
    /// The text to classify (message text, caption, or the tapped title).
    public var input: String
    /// The id of a tapped reply button or list row, when the lead tapped one.
    public var replyID: String?
    /// What the rules classifier said (the model is asked only when this is not confident).
    public var rules: Classification?
    /// `auto`, `rules` or `llm` (the node's mode).
    public var mode: String

    public init(tenant: String, sessionID: String, stepID: String, kind: String, question: String, language: String,
                options: [Option], examples: [String], patterns: [String], input: String, replyID: String?,
                rules: Classification?, mode: String) {
        self.tenant = tenant
        self.sessionID = sessionID
        self.stepID = stepID
        self.kind = kind
        self.question = question
        self.language = language
        self.options = options
        self.examples = examples
        self.patterns = patterns
        self.input = input
        self.replyID = replyID
        self.rules = rules
        self.mode = mode
    }
}
