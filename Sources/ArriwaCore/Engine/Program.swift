/// A tenant's flows, manifest and settings compiled for execution: every expression and template
/// parsed once, every edge resolved to an index. Immutable and shared by all turns (a class: a
/// turn holds one reference instead of copying the settings' ~20 fields).
public final class Program: Sendable {
    public let tenant: TenantSettings
    public let manifest: CompiledManifest
    public let flows: [CompiledFlow]
    public let flowIndex: [String: Int]
    public let entryFlow: Int
    /// Content hash of the tenant's files: the deployed version a session pins.
    public let version: String
    /// Expressions of `TurnExpr`'s shapes read the turn directly; false: everything goes through
    /// the interpreter (tests compare the two).
    let directReads: Bool
    /// The placeholder state a turn for a new lead starts from (replaced by the new session), shared
    /// copy-on-write instead of built per turn.
    let blankState: SessionState

    public convenience init(tenant: TenantSettings, manifest: CompiledManifest, flows: [CompiledFlow], flowIndex: [String: Int],
                            entryFlow: Int, version: String) {
        self.init(tenant: tenant, manifest: manifest, flows: flows, flowIndex: flowIndex, entryFlow: entryFlow, version: version,
                  directReads: true)
    }

    init(tenant: TenantSettings, manifest: CompiledManifest, flows: [CompiledFlow], flowIndex: [String: Int],
         entryFlow: Int, version: String, directReads: Bool) {
        self.directReads = directReads
        blankState = SessionState(id: "", contact: Contact(subscriberID: "", phoneHash: ""), tenant: tenant.id, flowVersion: version,
                                  language: tenant.defaultLanguage, entry: "organic", attribution: [:], referralRaw: nil, startedAt: 0)
        self.tenant = tenant
        self.manifest = manifest
        self.flows = flows
        self.flowIndex = flowIndex
        self.entryFlow = entryFlow
        self.version = version
    }

    public func flow(named name: String) -> CompiledFlow? { flowIndex[name].map { flows[$0] } }

    /// `flowIndex[name]`: for the few flows a tenant has, a scan of the (mostly inline) names
    /// instead of hashing one. From the end, as the index keeps the last flow of a name.
    func flowNumber(_ name: String) -> Int? {
        guard flows.count <= 8 else { return flowIndex[name] }
        for i in flows.indices.reversed() where flows[i].name == name { return i }
        return nil
    }
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
    public var variants: [(language: String?, template: Template)] {
        didSet { compiled = variants.map { TurnTemplate($0.template) } }
    }
    /// Each variant compiled to direct reads, when it can be (parallel to `variants`).
    private(set) var compiled: [TurnTemplate?]

    /// Texts per language (nil: any language), each compiled to direct reads where it can be.
    public init(variants: [(language: String?, template: Template)]) {
        self.variants = variants
        compiled = variants.map { TurnTemplate($0.template) }
    }

    public func template(for language: String) -> Template? {
        variant(for: language).map { variants[$0].template }
    }

    /// The index of the variant `template(for:)` picks: the language's, else the one without a
    /// language, else the first.
    func variant(for language: String) -> Int? {
        // Indices, not `first(where:)`: the closure copied each (language, template) pair it looked at.
        for i in variants.indices where variants[i].language == language { return i }
        for i in variants.indices where variants[i].language == nil { return i }
        return variants.isEmpty ? nil : 0
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

/// A manifest regex, compiled once.
public struct StepPattern: @unchecked Sendable {
    // Regex is immutable once built; Swift does not yet mark it Sendable.
    public let source: String
    let regex: Regex<AnyRegexOutput>
    /// The pattern as a byte matcher when it is one anchored character class (`^[...]{m,n}$`).
    let anchoredClass: AnchoredClassPattern?

    init?(_ source: String) {
        guard let regex = try? Regex(source) else { return nil }
        self.source = source
        self.regex = regex
        anchoredClass = AnchoredClassPattern(source)
    }

    public func matches(_ text: String) -> Bool {
        if let anchoredClass, let result = anchoredClass.matches(text) { return result }
        // Anchors in the pattern decide whether it must match the whole answer.
        return (try? regex.firstMatch(in: text)) != nil
    }
}

/// `^[class]{m,n}$` (also `{m}`, `{m,}`, `+`, `*`) whose class holds printable ASCII characters,
/// ASCII ranges and `\p{L}`, answered byte by byte for printable-ASCII text (where every byte is
/// one `Character` and `\p{L}` is A–Z, a–z) — what manifests use to judge free-text answers, at a
/// fraction of the general regex engine's cost. Any other pattern or text goes to the regex.
struct AnchoredClassPattern: Sendable {
    /// Bytes the class accepts.
    var accepts: [Bool]
    var min: Int
    var max: Int

    init?(_ source: String) {
        let p = Array(source.utf8)
        guard p.count >= 4, p[0] == UInt8(ascii: "^"), p[1] == UInt8(ascii: "["), p.last == UInt8(ascii: "$") else { return nil }
        var accepts = [Bool](repeating: false, count: 128)
        var i = 2
        guard i < p.count, p[i] != UInt8(ascii: "^"), p[i] != UInt8(ascii: "]") else { return nil }
        var closed = false
        while i < p.count {
            let c = p[i]
            guard c >= 0x20, c < 0x7F else { return nil }
            if c == UInt8(ascii: "]") {
                closed = true
                i += 1
                break
            }
            if c == UInt8(ascii: "\\") {
                // Only \p{L} and an escaped punctuation character.
                if i + 4 < p.count, p[i + 1] == UInt8(ascii: "p"), p[i + 2] == UInt8(ascii: "{"), p[i + 3] == UInt8(ascii: "L"),
                   p[i + 4] == UInt8(ascii: "}") {
                    for b in UInt8(ascii: "A")...UInt8(ascii: "Z") { accepts[Int(b)] = true }
                    for b in UInt8(ascii: "a")...UInt8(ascii: "z") { accepts[Int(b)] = true }
                    i += 5
                    continue
                }
                guard i + 1 < p.count, Self.isEscapablePunctuation(p[i + 1]) || Array("-[]^\\".utf8).contains(p[i + 1])
                else { return nil }
                accepts[Int(p[i + 1])] = true
                i += 2
                continue
            }
            if c == UInt8(ascii: "[") { return nil }
            if c == UInt8(ascii: "-") {
                // Literal only last in the class.
                guard i + 1 < p.count, p[i + 1] == UInt8(ascii: "]") else { return nil }
                accepts[Int(c)] = true
                i += 1
                continue
            }
            if i + 2 < p.count, p[i + 1] == UInt8(ascii: "-"), p[i + 2] != UInt8(ascii: "]") {
                let hi = p[i + 2]
                guard Self.isAlnum(c), Self.isAlnum(hi), c <= hi,
                      (Self.isDigit(c) && Self.isDigit(hi)) || (Self.isLower(c) && Self.isLower(hi)) || (Self.isUpper(c) && Self.isUpper(hi))
                else { return nil }
                for b in c...hi { accepts[Int(b)] = true }
                i += 3
                continue
            }
            guard Self.isAlnum(c) || c == 0x20 || Self.isEscapablePunctuation(c) else { return nil }
            accepts[Int(c)] = true
            i += 1
        }
        guard closed else { return nil }
        // The quantifier, then `$` (the last byte).
        let end = p.count - 1
        var lower = 1, upper = 1
        if i == end {
            // exactly one
        } else if i + 1 == end, p[i] == UInt8(ascii: "+") {
            upper = Int.max
        } else if i + 1 == end, p[i] == UInt8(ascii: "*") {
            lower = 0
            upper = Int.max
        } else if p[i] == UInt8(ascii: "{"), p[end - 1] == UInt8(ascii: "}") {
            let inside = p[(i + 1)..<(end - 1)]
            let parts = inside.split(separator: UInt8(ascii: ","), maxSplits: 1, omittingEmptySubsequences: false)
            func number(_ bytes: ArraySlice<UInt8>) -> Int? {
                guard !bytes.isEmpty, bytes.count <= 6, bytes.allSatisfy(Self.isDigit) else { return nil }
                return Int(String(decoding: bytes, as: UTF8.self))
            }
            guard let first = parts.first, let m = number(first) else { return nil }
            lower = m
            if parts.count == 1 {
                upper = m
            } else if parts[1].isEmpty {
                upper = Int.max
            } else {
                guard let n = number(parts[1]), n >= m else { return nil }
                upper = n
            }
        } else {
            return nil
        }
        self.accepts = accepts
        min = lower
        max = upper
    }

    /// Whether `text` matches, or nil when the text is not printable ASCII (the regex decides then).
    func matches(_ text: String) -> Bool? {
        var text = text
        return text.withUTF8 { bytes -> Bool? in
            var ok = true
            for b in bytes {
                guard b >= 0x20, b < 0x7F else { return nil }
                if !accepts[Int(b)] { ok = false }
            }
            return ok && bytes.count >= min && bytes.count <= max
        }
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    private static func isLower(_ b: UInt8) -> Bool { b >= 0x61 && b <= 0x7A }
    private static func isUpper(_ b: UInt8) -> Bool { b >= 0x41 && b <= 0x5A }
    private static func isAlnum(_ b: UInt8) -> Bool { isDigit(b) || isLower(b) || isUpper(b) }
    /// Punctuation that stands for itself in a class (escaped or not): not `\\ [ ] ^ -`, nor `&` and `~` (which
    /// double up as set operators).
    private static func isEscapablePunctuation(_ b: UInt8) -> Bool {
        Array(".,'!?:;_@#%*+=/\"()<>{}|`$").contains { $0.asciiValue == b }
    }
}

public final class CompiledFlow: Sendable {
    public let name: String
    public let nodes: [CompiledNode]
    public let index: [String: Int]
    public let start: Int
    public let defaults: [String: Value]
    /// The nodes a session can be found at when an event arrives (wait, handover, call): their ids
    /// and indexes, scanned before `index` is hashed (a frame's node is usually the very string of
    /// one of them, so the comparison is a pointer's).
    let restingIDs: [String]
    let restingIndexes: [Int]

    public init(name: String, nodes: [CompiledNode], index: [String: Int], start: Int, defaults: [String: Value]) {
        self.name = name
        self.nodes = nodes
        self.index = index
        self.start = start
        self.defaults = defaults
        var ids: [String] = [], indexes: [Int] = []
        for (i, node) in nodes.enumerated() {
            switch node.kind {
            case .wait, .handover, .call:
                ids.append(node.id)
                indexes.append(i)
            default:
                break
            }
        }
        // A long list would cost more than the hash it saves.
        restingIDs = ids.count <= 8 ? ids : []
        restingIndexes = ids.count <= 8 ? indexes : []
    }

    /// The index of node `id`.
    @inline(__always)
    func nodeNumber(_ id: String) -> Int? {
        for k in restingIDs.indices where restingIDs[k] == id { return restingIndexes[k] }
        return index[id]
    }
}

public final class CompiledNode: Sendable {
    public let id: String
    /// `flow/node`.
    public let origin: String
    public let kind: Kind

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

    /// A condition's branch tests or a set node's values, compiled to direct reads where they
    /// have one of `TurnExpr`'s shapes (parallel to `branches` / `assignments`; empty otherwise).
    let compiled: [TurnExpr?]

    public init(id: String, origin: String, kind: Kind) {
        self.id = id
        self.origin = origin
        self.kind = kind
        compiled = switch kind {
        case .condition(let branches, _): branches.map { TurnExpr($0.when) }
        case .set(let assignments, _): assignments.map { TurnExpr($0.value) }
        default: []
        }
    }
}

/// A manifest step named literally or by a template (`${vars.step}`).
public enum StepRef: Sendable {
    case fixed(String)
    case dynamic(Template)
    /// `${vars.name}` alone: read straight from the top frame's vars when it holds a string
    /// (otherwise the template renders as `.dynamic` would).
    case variable(String, Template)
}

public struct TemplateSpec: Sendable {
    public var name: String
    public var language: String
    public var params: [Template]
}

public final class SendSpec: Sendable {
    public enum Say: String, Sendable { case question, clarify, reprompt }
    public let text: LocalizedTemplate?
    public let step: StepRef?
    public let say: Say
    public let buttons: [(id: String, title: LocalizedTemplate)]
    public let listButton: LocalizedTemplate?
    public let sections: [(title: LocalizedTemplate?, rows: [(id: String, title: LocalizedTemplate, description: LocalizedTemplate?)])]
    public let header: LocalizedTemplate?
    public let footer: LocalizedTemplate?
    public let template: TemplateSpec?
    public let next: Int?
    /// The template's parameters compiled to direct reads (parallel to `template.params`).
    let templateParams: [TurnTemplate?]

    public init(text: LocalizedTemplate?, step: StepRef?, say: Say, buttons: [(id: String, title: LocalizedTemplate)], listButton: LocalizedTemplate?, sections: [(title: LocalizedTemplate?, rows: [(id: String, title: LocalizedTemplate, description: LocalizedTemplate?)])], header: LocalizedTemplate?, footer: LocalizedTemplate?, template: TemplateSpec?, next: Int?) {
        self.text = text
        self.step = step
        self.say = say
        self.buttons = buttons
        self.listButton = listButton
        self.sections = sections
        self.header = header
        self.footer = footer
        self.template = template
        self.next = next
        templateParams = template?.params.map { TurnTemplate($0) } ?? []
    }
}

public final class EmitSpec: Sendable {
    public let event: Template?
    public let step: StepRef?
    public let stream: Emission.Stream
    public let sinks: [String]
    public let key: Template?
    public let value: Expr?
    public let currency: String?
    public let data: [(key: String, value: Template)]
    public let audiencesAdd: [String]
    public let audiencesRemove: [String]
    public let crmFields: [(key: String, value: Template)]
    public let crmTags: [String]
    public let crmNote: Template?
    public let crmStage: String?
    public let next: Int?
    /// `event`, `key` and `crmNote` compiled to direct reads, when they can be.
    let compiledEvent: TurnTemplate?
    let compiledKey: TurnTemplate?
    let compiledNote: TurnTemplate?

    public init(event: Template?, step: StepRef?, stream: Emission.Stream, sinks: [String], key: Template?, value: Expr?, currency: String?, data: [(key: String, value: Template)], audiencesAdd: [String], audiencesRemove: [String], crmFields: [(key: String, value: Template)], crmTags: [String], crmNote: Template?, crmStage: String?, next: Int?) {
        self.event = event
        self.step = step
        self.stream = stream
        self.sinks = sinks
        self.key = key
        self.value = value
        self.currency = currency
        self.data = data
        self.audiencesAdd = audiencesAdd
        self.audiencesRemove = audiencesRemove
        self.crmFields = crmFields
        self.crmTags = crmTags
        self.crmNote = crmNote
        self.crmStage = crmStage
        self.next = next
        compiledEvent = TurnTemplate(event)
        compiledKey = TurnTemplate(key)
        compiledNote = TurnTemplate(crmNote)
    }
}

public final class WaitSpec: Sendable {
    public enum For: String, Sendable { case message, event, time }
    public struct Nudge: Sendable {
        public enum When: String, Sendable { case sent, delivered, read, abandoned }
        public var afterMS: Int64
        public var when: When
        public var text: LocalizedTemplate?
        public var template: TemplateSpec?
    }

    public let waitFor: For
    public let event: String?
    public let timeoutMS: Int64?
    public let nudges: [Nudge]
    public let maxNudges: Int?
    public let onMessage: Int?
    public let onEvent: Int?
    public let onTimeout: Int?

    public init(waitFor: For, event: String?, timeoutMS: Int64?, nudges: [Nudge], maxNudges: Int?, onMessage: Int?, onEvent: Int?, onTimeout: Int?) {
        self.waitFor = waitFor
        self.event = event
        self.timeoutMS = timeoutMS
        self.nudges = nudges
        self.maxNudges = maxNudges
        self.onMessage = onMessage
        self.onEvent = onEvent
        self.onTimeout = onTimeout
    }
}

public final class ClassifySpec: Sendable {
    public let step: StepRef
    public let input: Expr
    public let mode: String
    public let valid: Int?
    public let ambiguous: Int?
    public let noise: Int?
    public let offscript: Int?
    public let error: Int?
    /// `input` compiled to a direct read, when it can be.
    let compiledInput: TurnExpr?

    public init(step: StepRef, input: Expr, mode: String, valid: Int?, ambiguous: Int?, noise: Int?, offscript: Int?, error: Int?) {
        self.step = step
        self.input = input
        self.mode = mode
        self.valid = valid
        self.ambiguous = ambiguous
        self.noise = noise
        self.offscript = offscript
        self.error = error
        compiledInput = TurnExpr(input)
    }
}
