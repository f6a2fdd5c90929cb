import ArriwaCore

/// Compares what a step did with what the script expects; returns readable differences.
struct ExpectationCheck {
    var records: [LocalRuntime.TurnRecord]
    var state: SessionState?
    var sessions: Int
    var now: Int64

    var sends: [OutboundMessage] { records.flatMap(\.sends) }
    var emissions: [Emission] { records.flatMap(\.emissions) }
    var effects: [Effect] { records.flatMap(\.effects) }

    func check(_ e: ConversationScript.Expectation) -> [String] {
        var problems: [String] = []
        if let bot = e.bot { problems += checkBot(bot) }
        if let events = e.events { problems += checkEvents(events) }
        for (key, expected, location) in e.session {
            let actual = sessionField(key)
            let ok = key == "id_prefix" ? (state?.id.hasPrefix(expected) ?? false) : actual == expected
            if !ok { problems.append("\(location): session.\(key): expected \(expected), got \(actual)") }
        }
        let vars = state?.stack.last?.vars ?? [:]
        for (key, expected, location) in e.vars {
            let actual = vars[key].map(\.renderedText) ?? "(not set: \(state?.stack.isEmpty ?? true ? "no flow is running" : "no such variable"))"
            if actual != expected { problems.append("\(location): vars.\(key): expected \(expected), got \(actual)") }
        }
        for (key, expected, location) in e.answers {
            let actual = state?.answers[key] ?? "null"
            if actual != expected { problems.append("\(location): answers.\(key): expected \(expected), got \(actual)") }
        }
        for (key, expected, location) in e.attribution {
            let actual = state?.attribution[key] ?? "null"
            if actual != expected { problems.append("\(location): attribution.\(key): expected \(expected), got \(actual)") }
        }
        if let audit = e.audit {
            let types = effects.compactMap { if case .audit(let a) = $0 { a.type } else { nil } }
            for wanted in audit where !types.contains(wanted) {
                problems.append("audit record `\(wanted)` expected; this step wrote: \(types.isEmpty ? "none" : types.joined(separator: ", "))")
            }
        }
        if let errors = e.errors {
            let codes = effects.compactMap { if case .error(let f) = $0 { f.code.rawValue } else { nil } }
            if codes != errors {
                problems.append("errors: expected [\(errors.joined(separator: ", "))], got [\(codes.joined(separator: ", "))]")
            }
        }
        if let handover = e.handover {
            let happened = effects.contains { if case .handover = $0 { true } else { false } }
            if happened != handover { problems.append("handover: expected \(handover), got \(happened)") }
        }
        if let count = e.sessions, count != sessions {
            problems.append("sessions: expected \(count) for this lead, got \(sessions)")
        }
        return problems
    }

    func sessionField(_ key: String) -> String {
        guard let s = state else { return "(no session)" }
        switch key {
        case "status": return s.status.rawValue
        case "outcome": return s.outcome ?? "null"
        case "step": return s.step ?? "null"
        case "retries": return String(s.currentRetries)
        case "nudges": return String(s.nudges)
        case "escalations": return String(s.escalations)
        case "opted_out": return String(s.optedOut)
        case "snoozed": return String(s.isSnoozed(at: now))
        case "human_active": return String(s.humanActive)
        case "entry": return s.entry
        case "language": return s.language
        case "id_prefix": return s.id
        case "flow": return s.stack.last?.flow ?? "null"
        case "node": return s.stack.last?.node ?? "null"
        case "halted": return String(s.status == .halted)
        case "flow_version": return s.flowVersion
        default: return "(unknown field)"
        }
    }

    static func describe(_ m: OutboundMessage) -> String {
        switch m.content {
        case .text(let text): return "\"\(text)\""
        case .buttons(let body, let buttons, _, _): return "\"\(body)\" [buttons: \(buttons.map(\.title).joined(separator: " | "))]"
        case .list(let body, _, let sections, _, _):
            return "\"\(body)\" [list: \(sections.flatMap(\.rows).map(\.title).joined(separator: " | "))]"
        case .template(let t): return "template \(t.name)(\(t.params.joined(separator: ", ")))"
        }
    }

    static func describe(_ b: ConversationScript.BotExpectation) -> String {
        var parts: [String] = []
        if let text = b.text { parts.append("\"\(text)\"") }
        if let contains = b.contains { parts.append("containing \"\(contains)\"") }
        if let buttons = b.buttons { parts.append("[buttons: \(buttons.joined(separator: " | "))]") }
        if let list = b.list { parts.append("[list: \(list.joined(separator: " | "))]") }
        if let template = b.template { parts.append("template \(template)") }
        if let purpose = b.purpose { parts.append("(\(purpose))") }
        return parts.isEmpty ? "any message" : parts.joined(separator: " ")
    }

    func matches(_ b: ConversationScript.BotExpectation, _ m: OutboundMessage) -> Bool {
        if let text = b.text {
            if case .template = m.content { return false }
            if m.content.body != text { return false }
        }
        if let contains = b.contains, !m.content.body.contains(contains) { return false }
        if let buttons = b.buttons {
            guard case .buttons(_, let actual, _, _) = m.content, actual.map(\.title) == buttons else { return false }
        }
        if let list = b.list {
            guard case .list(_, _, let sections, _, _) = m.content, sections.flatMap(\.rows).map(\.title) == list else { return false }
        }
        if let template = b.template {
            guard case .template(let t) = m.content, t.name == template else { return false }
        }
        if let purpose = b.purpose, m.purpose.rawValue != purpose { return false }
        return true
    }

    func checkBot(_ expected: [ConversationScript.BotExpectation]) -> [String] {
        let actual = sends
        let ok = expected.count == actual.count && zip(expected, actual).allSatisfy { matches($0, $1) }
        if ok { return [] }
        var lines = ["bot messages differ:", "  expected \(expected.count):"]
        for (i, b) in expected.enumerated() {
            let mark = i < actual.count && matches(b, actual[i]) ? " " : "✗"
            lines.append("   \(mark) \(i + 1). \(Self.describe(b))   (\(b.location))")
        }
        lines.append("  actual \(actual.count):")
        for (i, m) in actual.enumerated() { lines.append("     \(i + 1). \(Self.describe(m))") }
        return [lines.joined(separator: "\n")]
    }

    func matches(_ e: ConversationScript.EventExpectation, _ x: Emission) -> Bool {
        if e.event != x.event { return false }
        if let stream = e.stream, stream != x.stream.rawValue { return false }
        if let key = e.key, key != x.key { return false }
        if let prefix = e.keyPrefix, !x.key.hasPrefix(prefix) { return false }
        if let add = e.audiencesAdd, add != x.audiencesAdd { return false }
        if let remove = e.audiencesRemove, remove != x.audiencesRemove { return false }
        if let fields = e.crmFields, fields != x.crmFields { return false }
        if let attribution = e.attribution, !attribution.allSatisfy({ x.attribution[$0.key] == $0.value }) { return false }
        return true
    }

    static func describe(_ x: Emission) -> String {
        var text = "\(x.event) on \(x.stream.rawValue) to [\(x.sinks.joined(separator: ", "))] key \(x.key)"
        if !x.audiencesAdd.isEmpty { text += " +audiences [\(x.audiencesAdd.joined(separator: ", "))]" }
        if !x.audiencesRemove.isEmpty { text += " -audiences [\(x.audiencesRemove.joined(separator: ", "))]" }
        if !x.crmFields.isEmpty { text += " crm \(x.crmFields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))" }
        return text
    }

    func checkEvents(_ expected: [ConversationScript.EventExpectation]) -> [String] {
        let actual = emissions
        let ok = expected.count == actual.count && zip(expected, actual).allSatisfy { matches($0, $1) }
        if ok { return [] }
        var lines = ["emitted events differ:", "  expected \(expected.count):"]
        for (i, e) in expected.enumerated() {
            let mark = i < actual.count && matches(e, actual[i]) ? " " : "✗"
            var text = e.event
            if let s = e.stream { text += " on \(s)" }
            if let k = e.key ?? e.keyPrefix.map({ $0 + "…" }) { text += " key \(k)" }
            if let a = e.audiencesAdd { text += " +audiences [\(a.joined(separator: ", "))]" }
            lines.append("   \(mark) \(i + 1). \(text)   (\(e.location))")
        }
        lines.append("  actual \(actual.count):")
        for (i, x) in actual.enumerated() { lines.append("     \(i + 1). \(Self.describe(x))") }
        return [lines.joined(separator: "\n")]
    }
}
