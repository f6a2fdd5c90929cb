/// tenant.yaml, typed. Values the schema check rejected are left at their defaults.
public struct Tenant: Sendable {
    public struct Stream: Sendable, Hashable {
        public var name: String
        public var datasetID: Located<String>
        public var tokenEnv: String?
        public var actionSource: String
    }

    public var file: String
    public var id: Located<String>?
    public var entryFlow: Located<String>?
    /// CRM stage names (crm.stages), when declared.
    public var crmStages: Set<String>
    public var languages: [String]
    public var providerKind: String?
    /// code word kind (stop, pause, start, operator) → words per language.
    public var codeWords: [String: LocalizedList]
    public var validThreshold: Located<Double>?
    public var noiseThreshold: Located<Double>?
    public var thresholdsLocation: SourceLocation?
    public var reprompts: Located<Int>?
    public var nudges: Located<Int>?
    public var limitsReason: String?
    public var stepTimeoutMS: Int64
    public var autoReturnHours: Int
    public var breakerEscalations: Int
    public var pauseDefaultMS: Int64
    public var pauseMaxMS: Int64
    public var stepBudget: Int
    public var debounceMS: Int64?
    public var name: String?
    public var timezone: String?
    public var streams: [String: Stream]
    public var eventNames: [String: Located<String>]
    public var audiences: [String: SourceLocation]
    public var crmKind: String?
    public var crmFields: [String: SourceLocation]
    public var hasWebhookSink: Bool
    public var messages: [String: LocalizedText]
    /// Ids, endpoints and levels for the conversion and CRM sinks.
    public var sinks: TenantSinkSettings
    /// stripe: is configured (its webhook endpoint is open).
    public var hasStripe: Bool

    public static let defaultValid = 0.65
    public static let defaultNoise = 0.30

    public var valid: Double { validThreshold?.value ?? Self.defaultValid }
    public var noise: Double { noiseThreshold?.value ?? Self.defaultNoise }
    public var maxReprompts: Int { reprompts?.value ?? 3 }
    public var maxNudges: Int { nudges?.value ?? 2 }

    public init(file: String, root: YMapping) {
        self.file = file
        id = root.located("tenant")
        entryFlow = root.located("entry_flow")
        languages = root.identifiers("languages").map(\.value)
        let provider = root["provider"]?.mapping
        providerKind = provider?["kind"]?.string
        var words: [String: LocalizedList] = [:]
        for pair in root["code_words"]?.mapping?.pairs ?? [] {
            if let list = LocalizedList(pair.value) { words[pair.key.text] = list }
        }
        codeWords = words
        let thresholds = root["thresholds"]?.mapping
        thresholdsLocation = thresholds?.location
        validThreshold = thresholds?.double("valid")
        noiseThreshold = thresholds?.double("noise")
        let limits = root["limits"]?.mapping
        reprompts = limits?.int("reprompts")
        nudges = limits?.int("nudges")
        limitsReason = limits?["reason"]?.string
        stepTimeoutMS = limits?.durationMS("step_timeout")?.value ?? 30 * 60_000
        autoReturnHours = limits?.int("auto_return_hours")?.value ?? 24
        breakerEscalations = limits?.int("breaker_escalations")?.value ?? 5
        pauseDefaultMS = limits?.durationMS("pause_default")?.value ?? 3_600_000
        pauseMaxMS = limits?.durationMS("pause_max")?.value ?? 24 * 3_600_000
        stepBudget = limits?.int("step_budget")?.value ?? 200
        debounceMS = limits?.durationMS("debounce")?.value
        name = root["name"]?.string
        timezone = root["timezone"]?.string
        var streams: [String: Stream] = [:]
        for pair in root["streams"]?.mapping?.pairs ?? [] {
            guard let map = pair.value.mapping, let dataset = map.located("dataset_id") else { continue }
            streams[pair.key.text] = Stream(name: pair.key.text, datasetID: dataset, tokenEnv: map["access_token_env"]?.string,
                                            actionSource: map["action_source"]?.string ?? "business_messaging")
        }
        self.streams = streams
        var names: [String: Located<String>] = [:]
        for (key, value) in root["conversions"]?.mapping?.stringMap("event_names") ?? [] {
            if let text = value.string { names[key.value] = Located(text, at: value.location) }
        }
        eventNames = names
        var audiences: [String: SourceLocation] = [:]
        for (key, _) in root.stringMap("audiences") { audiences[key.value] = key.location }
        self.audiences = audiences
        let crm = root["crm"]?.mapping
        crmKind = crm?["kind"]?.string
        var fields: [String: SourceLocation] = [:]
        for (key, _) in crm?.stringMap("fields") ?? [] { fields[key.value] = key.location }
        crmFields = fields
        crmStages = Set(crm?.stringMap("stages").map(\.key.value) ?? [])
        hasWebhookSink = root["webhook"] != nil
        var messages: [String: LocalizedText] = [:]
        for (key, value) in root.stringMap("messages") {
            if let text = LocalizedText(value) { messages[key.value] = text }
        }
        self.messages = messages
        sinks = TenantSinkSettings(root: root)
        hasStripe = root["stripe"] != nil
    }
}
