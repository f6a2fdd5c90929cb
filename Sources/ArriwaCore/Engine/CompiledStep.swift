/// A manifest step compiled for the engine.
public final class CompiledStep: Sendable {
    public struct Option: Sendable {
        public var id: String
        public var titles: LocalizedTemplate?
        public var titleTexts: [String]
        public var synonyms: [String]
        public var description: LocalizedTemplate?
        public var segments: [String]
        public var min: Double?
        public var max: Double?
    }

    public let id: String
    /// 1-based position (the n of QUALIFY_Q{n} keys).
    public let number: Int
    public let kind: String
    public let question: LocalizedTemplate?
    public let clarify: LocalizedTemplate?
    public let reprompt: LocalizedTemplate?
    public let listButton: LocalizedTemplate?
    public let options: [Option]
    public let examples: [String]
    public let patterns: [String]
    public let compiledPatterns: [StepPattern]
    public let crmField: String?
    public let event: String
    public let audience: String?
    public let maxReprompts: Int?
    /// Router: option id → next step (or done / reject); `next` for everything else.
    public let routes: [String: String]
    public let next: String
    /// Parts of this step's sends and emissions built once (`StepParts`).
    let parts: StepParts

    public func option(_ id: String) -> Option? { options.first { $0.id == id } }

    /// Where an answer leads.
    public func nextStep(after answer: String?) -> String {
        if let answer, let target = routes[answer] { return target }
        return next
    }

    public init(id: String, number: Int, kind: String, question: LocalizedTemplate?, clarify: LocalizedTemplate?, reprompt: LocalizedTemplate?, listButton: LocalizedTemplate?, options: [Option], examples: [String], patterns: [String], compiledPatterns: [StepPattern], crmField: String?, event: String, audience: String?, maxReprompts: Int?, routes: [String: String], next: String) {
        self.id = id
        self.number = number
        self.kind = kind
        self.question = question
        self.clarify = clarify
        self.reprompt = reprompt
        self.listButton = listButton
        self.options = options
        self.examples = examples
        self.patterns = patterns
        self.compiledPatterns = compiledPatterns
        self.crmField = crmField
        self.event = event
        self.audience = audience
        self.maxReprompts = maxReprompts
        self.routes = routes
        self.next = next
        parts = StepParts(kind: kind, options: options, audience: audience, listButton: listButton, crmField: crmField)
    }
}
