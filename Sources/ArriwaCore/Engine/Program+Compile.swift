import Crypto

/// Why a tenant could not be compiled. The validator reports these first; compiling a tenant
/// the validator passes does not fail.
public struct ProgramError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var location: SourceLocation?

    public var description: String {
        if let location { return "\(location): \(message)" }
        return message
    }
}

extension Program {
    /// Compiles a loaded tenant. Run the validator first: this reports only the first problem.
    public static func compile(_ project: TenantProject) throws(ProgramError) -> Program {
        try compile(project, directReads: true)
    }

    /// `directReads: false` runs every expression through the interpreter (for tests that compare).
    static func compile(_ project: TenantProject, directReads: Bool) throws(ProgramError) -> Program {
        guard let tenant = project.tenant else {
            throw ProgramError(message: "\(project.directory ?? "tenant"): no tenant.yaml")
        }
        let manifest = try compileManifest(project.manifest)
        var flowIndex: [String: Int] = [:]
        for (i, flow) in project.flows.enumerated() {
            guard let name = flow.name?.value else { throw ProgramError(message: "flow has no name", location: flow.location) }
            flowIndex[name] = i
        }
        var flows: [CompiledFlow] = []
        for flow in project.flows {
            flows.append(try compileFlow(flow, flowIndex: flowIndex))
        }
        let entryName = tenant.entryFlow?.value ?? "main"
        guard let entry = flowIndex[entryName] else {
            throw ProgramError(message: "entry flow '\(entryName)' is not defined", location: tenant.entryFlow?.location)
        }
        return Program(tenant: try settings(tenant), manifest: manifest, flows: flows, flowIndex: flowIndex,
                       entryFlow: entry, version: contentHash(project), directReads: directReads)
    }

    /// SHA-256 over the files' names and contents, sorted by name: the same files give the same version.
    static func contentHash(_ project: TenantProject) -> String {
        var hasher = SHA256()
        for path in project.files.keys.sorted() {
            let name = path.split(separator: "/").last.map(String.init) ?? path
            hasher.update(data: Array(name.utf8) + [0])
            hasher.update(data: Array((project.files[path]?.text ?? "").utf8) + [0])
        }
        return hasher.finalize().map { String($0, radix: 16).leftPadded(2) }.joined().prefix(16).description
    }

    static let defaultCodeWords: [TenantSettings.CodeWord: [String]] = [
        .stop: ["stop", "стоп", "unsubscribe"],
        .pause: ["pause", "пауза", "snooze"],
        .start: ["start", "старт", "resume"],
        .operator: ["operator", "оператор", "human"],
    ]

    static let defaultMessages: [String: [(String?, String)]] = [
        "stopped": [("en", "You're unsubscribed and won't get more messages. Write START to come back."),
                    ("ru", "Вы отписались и больше не получите сообщений. Напишите СТАРТ, чтобы вернуться.")],
        "paused": [("en", "Paused until ${session.snoozed_until}. Write START to continue earlier."),
                   ("ru", "Пауза до ${session.snoozed_until}. Напишите СТАРТ, чтобы продолжить раньше.")],
        "resumed": [("en", "Welcome back! Let's continue."), ("ru", "С возвращением! Продолжим.")],
        "operator": [("en", "Connecting you with an operator…"), ("ru", "Соединяем с оператором…")],
        "apology": [("en", "Sorry, something went wrong on our side. An operator will reply shortly."),
                    ("ru", "Извините, у нас сбой. Оператор скоро ответит.")],
    ]

    static func settings(_ tenant: Tenant) throws(ProgramError) -> TenantSettings {
        var words: [String: TenantSettings.CodeWord] = [:]
        for kind in TenantSettings.CodeWord.allCases {
            for word in defaultCodeWords[kind] ?? [] { words[CodeWords.normalize(word)] = kind }
            for word in tenant.codeWords[kind.rawValue]?.all ?? [] { words[CodeWords.normalize(word.value)] = kind }
        }
        var messages: [String: LocalizedTemplate] = [:]
        for (key, variants) in defaultMessages {
            var compiled: [(language: String?, template: Template)] = []
            for (language, text) in variants { compiled.append((language, try parseTemplate(text, at: nil))) }
            messages[key] = LocalizedTemplate(variants: compiled)
        }
        for (key, text) in tenant.messages { messages[key] = try localized(text) }
        return TenantSettings(
            id: tenant.id?.value ?? "tenant", name: tenant.name ?? tenant.id?.value ?? "tenant",
            languages: tenant.languages.isEmpty ? ["en"] : tenant.languages,
            validThreshold: tenant.valid, noiseThreshold: tenant.noise, maxReprompts: tenant.maxReprompts,
            maxNudges: tenant.maxNudges, stepTimeoutMS: tenant.stepTimeoutMS,
            autoReturnMS: Int64(tenant.autoReturnHours) * 3_600_000, autoReturnHours: tenant.autoReturnHours,
            breakerEscalations: tenant.breakerEscalations, pauseDefaultMS: tenant.pauseDefaultMS,
            pauseMaxMS: tenant.pauseMaxMS, stepBudget: tenant.stepBudget, debounceMS: tenant.debounceMS,
            codeWords: words, messages: messages, audiences: tenant.audiences.keys.sorted())
    }

    static func parseTemplate(_ text: String, at location: SourceLocation?) throws(ProgramError) -> Template {
        do {
            return try Template.parse(text)
        } catch {
            throw ProgramError(message: "bad template: \(error.message)", location: location)
        }
    }

    static func parseExpr(_ text: String, at location: SourceLocation?) throws(ProgramError) -> Expr {
        do {
            return try ExprParser.parse(text)
        } catch {
            throw ProgramError(message: "bad expression '\(text)': \(error.message)", location: location)
        }
    }

    static func localized(_ text: LocalizedText?) throws(ProgramError) -> LocalizedTemplate? {
        guard let text else { return nil }
        return try localized(text)
    }

    static func localized(_ text: LocalizedText) throws(ProgramError) -> LocalizedTemplate {
        var variants: [(language: String?, template: Template)] = []
        for variant in text.variants {
            variants.append((variant.language, try parseTemplate(variant.text, at: variant.scalar.location)))
        }
        return LocalizedTemplate(variants: variants)
    }

    static func compileManifest(_ manifest: Manifest?) throws(ProgramError) -> CompiledManifest {
        guard let manifest else { return CompiledManifest(first: nil, steps: [], index: [:], rules: []) }
        var steps: [CompiledStep] = []
        for (i, step) in manifest.steps.enumerated() {
            var options: [CompiledStep.Option] = []
            for option in step.options {
                let titles = try localized(option.title)
                options.append(CompiledStep.Option(
                    id: option.id.value, titles: titles, titleTexts: titles?.plainTexts ?? [option.id.value],
                    synonyms: option.synonyms?.all.map(\.value) ?? [], description: try localized(option.description),
                    segments: option.segments.map(\.value), min: option.min, max: option.max))
            }
            var routes: [String: String] = [:]
            let next: String
            switch step.next {
            case .step(let target)?:
                next = target.value
            case .router(let table, let fallback, _)?:
                for route in table { routes[route.option.value] = route.target.value }
                next = fallback?.value ?? (i + 1 < manifest.steps.count ? manifest.steps[i + 1].id.value : "done")
            case nil:
                next = i + 1 < manifest.steps.count ? manifest.steps[i + 1].id.value : "done"
            }
            var patterns: [StepPattern] = []
            for pattern in step.patterns {
                guard let compiled = StepPattern(pattern.value) else {
                    throw ProgramError(message: "pattern does not compile: \(pattern.value)", location: pattern.location)
                }
                patterns.append(compiled)
            }
            steps.append(CompiledStep(
                id: step.id.value, number: i + 1, kind: step.kind?.rawValue ?? (step.options.isEmpty ? "text" : "buttons"),
                question: try localized(step.question), clarify: try localized(step.clarify),
                reprompt: try localized(step.reprompt), listButton: try localized(step.listButton), options: options,
                examples: step.examples?.all.map(\.value) ?? [], patterns: step.patterns.map(\.value),
                compiledPatterns: patterns, crmField: step.crmField?.value, event: step.eventName,
                audience: step.audience?.value, maxReprompts: step.maxReprompts?.value, routes: routes, next: next))
        }
        var index: [String: Int] = [:]
        for (i, step) in steps.enumerated() { index[step.id] = i }
        return CompiledManifest(first: manifest.firstStepID, steps: steps, index: index,
                                rules: steps.map(RulesClassifier.Index.init(step:)))
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
