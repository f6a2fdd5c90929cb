/// manifest.yaml, typed: the qualification steps.
public struct Manifest: Sendable {
    public var file: String
    public var first: Located<String>?
    public var steps: [Step]

    /// Router targets that end qualification rather than name a step.
    public static let terminalTargets: Set<String> = ["done", "reject"]

    public init(file: String, root: YMapping) {
        self.file = file
        first = root.located("first")
        steps = root["steps"]?.sequence?.items.compactMap { $0.mapping.flatMap(Step.init) } ?? []
    }

    public func step(_ id: String) -> Step? { steps.first { $0.id.value == id } }
    public var stepIDs: [String] { steps.map(\.id.value) }
    public var firstStepID: String? { first?.value ?? steps.first?.id.value }

    /// The step each one leads to by default: its `next`, or the next listed step, or done.
    public func successors(of step: Step) -> [Located<String>] {
        switch step.next {
        case .step(let target)?:
            return [target]
        case .router(let routes, let fallback, _)?:
            return routes.map(\.target) + (fallback.map { [$0] } ?? [])
        case nil:
            guard let index = steps.firstIndex(where: { $0.id.value == step.id.value }) else { return [] }
            let following = steps.index(after: index)
            return following < steps.endIndex ? [Located(steps[following].id.value, at: step.location)] : []
        }
    }
}

public struct Step: Sendable {
    public enum Kind: String, Sendable { case buttons, list, text, number }
    public enum Next: Sendable {
        case step(Located<String>)
        case router(routes: [(option: Located<String>, target: Located<String>)], default: Located<String>?, location: SourceLocation)
    }

    public var id: Located<String>
    public var kind: Kind?
    public var kindLocation: SourceLocation?
    public var question: LocalizedText?
    public var options: [StepOption]
    public var optionsLocation: SourceLocation?
    public var examples: LocalizedList?
    public var patterns: [Located<String>]
    public var clarify: LocalizedText?
    public var reprompt: LocalizedText?
    public var listButton: LocalizedText?
    public var crmField: Located<String>?
    public var event: Located<String>?
    public var audience: Located<String>?
    public var maxReprompts: Located<Int>?
    public var reason: String?
    public var next: Next?
    public var location: SourceLocation

    init?(_ map: YMapping) {
        guard let id = map.located("id") else { return nil }
        self.id = id
        kind = map["kind"]?.string.flatMap(Kind.init(rawValue:))
        kindLocation = map["kind"]?.location
        question = LocalizedText(map["question"])
        options = map["options"]?.sequence?.items.compactMap { $0.mapping.flatMap(StepOption.init) } ?? []
        optionsLocation = map.pair("options")?.key.location
        examples = LocalizedList(map["examples"])
        patterns = map.identifiers("patterns")
        clarify = LocalizedText(map["clarify"])
        reprompt = LocalizedText(map["reprompt"])
        listButton = LocalizedText(map["list_button"])
        crmField = map.located("crm_field")
        event = map.located("event")
        audience = map.located("audience")
        maxReprompts = map.int("max_reprompts")
        reason = map["reason"]?.string
        location = map.location
        switch map["next"] {
        case .scalar(let s)?:
            next = .step(Located(s.text, at: s.location))
        case .mapping(let router)?:
            let routes = router.stringMap("routes").compactMap { key, value in
                value.string.map { (option: key, target: Located($0, at: value.location)) }
            }
            next = .router(routes: routes, default: router.located("default"), location: router.location)
        default:
            next = nil
        }
    }

    /// The conversion event of a valid answer.
    public var eventName: String { event?.value ?? "QUALIFY_\(id.value)" }
    public var optionIDs: [String] { options.map(\.id.value) }
}

public struct StepOption: Sendable {
    public var id: Located<String>
    public var title: LocalizedText?
    public var description: LocalizedText?
    public var synonyms: LocalizedList?
    public var segments: [Located<String>]
    public var min: Double?
    public var max: Double?
    public var location: SourceLocation

    init?(_ map: YMapping) {
        guard let id = map.located("id") else { return nil }
        self.id = id
        title = LocalizedText(map["title"])
        description = LocalizedText(map["description"])
        synonyms = LocalizedList(map["synonyms"])
        segments = map.identifiers("segments")
        min = map.double("min")?.value
        max = map.double("max")?.value
        location = map.location
    }
}
