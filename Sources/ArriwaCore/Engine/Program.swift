/// A tenant's flows, manifest and settings compiled for execution: every expression and template
/// parsed once, every edge resolved to an index. Immutable and shared by all turns.
public struct Program: Sendable {
    public let tenant: TenantSettings
    public let manifest: CompiledManifest
    public let flows: [CompiledFlow]
    public let flowIndex: [String: Int]
    public let entryFlow: Int
    /// Content hash of the tenant's files: the deployed version a session pins.
    public let version: String

    public func flow(named name: String) -> CompiledFlow? { flowIndex[name].map { flows[$0] } }
}

/// The tenant.yaml settings the engine reads.
public struct TenantSettings: Sendable {
    public enum CodeWord: String, Sendable, CaseIterable {
        case stop, pause, start, `operator`
    }

    public var id: String
    public var name: String
    public var languages: [String]
    public var validThreshold: Double
    public var noiseThreshold: Double
    public var maxReprompts: Int
    public var maxNudges: Int
    public var stepTimeoutMS: Int64
    public var autoReturnMS: Int64
    public var autoReturnHours: Int
    public var breakerEscalations: Int
    public var pauseDefaultMS: Int64
    public var pauseMaxMS: Int64
    public var stepBudget: Int
    public var debounceMS: Int64?
    /// Normalized code word → kind.
    public var codeWords: [String: CodeWord]
    public var messages: [String: LocalizedTemplate]
    /// Every declared audience (opt-out leaves them all).
    public var audiences: [String]

    public var defaultLanguage: String { languages.first ?? "en" }
}

/// Text per language, each a parsed template.
public struct LocalizedTemplate: Sendable {
    public var variants: [(language: String?, template: Template)]

    public func template(for language: String) -> Template? {
        (variants.first { $0.language == language } ?? variants.first { $0.language == nil } ?? variants.first)?.template
    }

    /// Every variant's literal text (for classifiers: titles in all languages).
    public var plainTexts: [String] {
        variants.map { variant in variant.template.parts.map { part in
            if case .literal(let text) = part { text } else { "" }
        }.joined() }
    }
}

public struct CompiledManifest: Sendable {
    public var first: String?
    public var steps: [CompiledStep]
    public var index: [String: Int]
    /// The rules classifier's matching data, parallel to `steps`.
    public var rules: [RulesClassifier.Index]

    public func step(_ id: String) -> CompiledStep? { index[id].map { steps[$0] } }
}

public struct CompiledStep: Sendable {
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

    public var id: String
    /// 1-based position (the n of QUALIFY_Q{n} keys).
    public var number: Int
    public var kind: String
    public var question: LocalizedTemplate?
    public var clarify: LocalizedTemplate?
    public var reprompt: LocalizedTemplate?
    public var listButton: LocalizedTemplate?
    public var options: [Option]
    public var examples: [String]
    public var patterns: [String]
    public var compiledPatterns: [StepPattern]
    public var crmField: String?
    public var event: String
    public var audience: String?
    public var maxReprompts: Int?
    /// Router: option id → next step (or done / reject); `next` for everything else.
    public var routes: [String: String]
    public var next: String

    public func option(_ id: String) -> Option? { options.first { $0.id == id } }

    /// Where an answer leads.
    public func nextStep(after answer: String?) -> String {
        if let answer, let target = routes[answer] { return target }
        return next
    }
}

/// A manifest regex, compiled once.
public struct StepPattern: @unchecked Sendable {
    // Regex is immutable once built; Swift does not yet mark it Sendable.
    public let source: String
    let regex: Regex<AnyRegexOutput>

    init?(_ source: String) {
        guard let regex = try? Regex(source) else { return nil }
        self.source = source
        self.regex = regex
    }

    public func matches(_ text: String) -> Bool {
        // Anchors in the pattern decide whether it must match the whole answer.
        (try? regex.firstMatch(in: text)) != nil
    }
}

public struct CompiledFlow: Sendable {
    public var name: String
    public var nodes: [CompiledNode]
    public var index: [String: Int]
    public var start: Int
    public var defaults: [String: Value]
}

public struct CompiledNode: Sendable {
    public var id: String
    /// `flow/node`.
    public var origin: String
    public var kind: Kind

    public enum Kind: Sendable {
        case start(next: Int?)
        case condition(branches: [(when: Expr, next: Int)], otherwise: Int?)
        case classify(ClassifySpec)
        case send(SendSpec)
        case emit(EmitSpec)
        case wait(WaitSpec)
        case set(assignments: [(name: String, value: Expr)], next: Int?)
        case end(outcome: String)
        case call(flow: Int, on: [String: Int], fallback: Int?)
        case handover(reason: Template?, message: LocalizedTemplate?, next: Int?)
    }
}

/// A manifest step named literally or by a template (`${vars.step}`).
public enum StepRef: Sendable {
    case fixed(String)
    case dynamic(Template)
}

public struct TemplateSpec: Sendable {
    public var name: String
    public var language: String
    public var params: [Template]
}

public struct SendSpec: Sendable {
    public enum Say: String, Sendable { case question, clarify, reprompt }
    public var text: LocalizedTemplate?
    public var step: StepRef?
    public var say: Say
    public var buttons: [(id: String, title: LocalizedTemplate)]
    public var listButton: LocalizedTemplate?
    public var sections: [(title: LocalizedTemplate?, rows: [(id: String, title: LocalizedTemplate, description: LocalizedTemplate?)])]
    public var header: LocalizedTemplate?
    public var footer: LocalizedTemplate?
    public var template: TemplateSpec?
    public var next: Int?
}

public struct EmitSpec: Sendable {
    public var event: Template?
    public var step: StepRef?
    public var stream: Emission.Stream
    public var sinks: [String]
    public var key: Template?
    public var value: Expr?
    public var currency: String?
    public var data: [(key: String, value: Template)]
    public var audiencesAdd: [String]
    public var audiencesRemove: [String]
    public var crmFields: [(key: String, value: Template)]
    public var crmTags: [String]
    public var crmNote: Template?
    public var crmStage: String?
    public var next: Int?
}

public struct WaitSpec: Sendable {
    public enum For: String, Sendable { case message, event, time }
    public struct Nudge: Sendable {
        public enum When: String, Sendable { case sent, delivered, read, abandoned }
        public var afterMS: Int64
        public var when: When
        public var text: LocalizedTemplate?
        public var template: TemplateSpec?
    }

    public var waitFor: For
    public var event: String?
    public var timeoutMS: Int64?
    public var nudges: [Nudge]
    public var maxNudges: Int?
    public var onMessage: Int?
    public var onEvent: Int?
    public var onTimeout: Int?
}

public struct ClassifySpec: Sendable {
    public var step: StepRef
    public var input: Expr
    public var mode: String
    public var valid: Int?
    public var ambiguous: Int?
    public var noise: Int?
    public var offscript: Int?
    public var error: Int?
}
