public import ArriwaCore

/// A problem in a conversation test file, at its line and column.
public struct ScriptError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var location: SourceLocation
    public var description: String { "\(location): error: \(message)" }

    public init(message: String, location: SourceLocation) {
        self.message = message
        self.location = location
    }
}

extension ConversationScript {
    /// Parses one test file. Every problem names the file, line and column.
    public static func parse(_ source: SourceFile) throws(ScriptError) -> ConversationScript {
        let (root, diagnostics) = YAMLLoader.load(source)
        if let first = diagnostics.first(where: { $0.severity == .error }) {
            throw ScriptError(message: first.message, location: first.location)
        }
        guard let map = root?.mapping else {
            throw ScriptError(message: "a test file is a mapping with `test`, `lead` and `steps`",
                              location: root?.location ?? SourceLocation(file: source.path, line: 1, column: 1))
        }
        try allowOnly(["test", "lead", "steps", "description"], in: map, what: "test file")
        let name = map["test"]?.string ?? source.path
        let lead = try parseLead(map["lead"], at: map.location)
        guard let items = map["steps"]?.sequence else {
            throw ScriptError(message: "`steps` is missing or not a list", location: map["steps"]?.location ?? map.location)
        }
        var steps: [Step] = []
        for item in items.items {
            steps.append(try parseStep(item))
        }
        return ConversationScript(file: source.path, name: name, lead: lead, steps: steps)
    }

    static func allowOnly(_ keys: Set<String>, in map: YMapping, what: String) throws(ScriptError) {
        for pair in map.pairs where !keys.contains(pair.key.text) {
            let suggestion = keys.sorted().min { editDistance($0, pair.key.text) < editDistance($1, pair.key.text) }
            let hint = suggestion.map { editDistance($0, pair.key.text) <= 2 ? " (did you mean `\($0)`?)" : "" } ?? ""
            throw ScriptError(message: "unknown key `\(pair.key.text)` in \(what)\(hint); expected one of \(keys.sorted().joined(separator: ", "))",
                              location: pair.key.location)
        }
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(1, a.count) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in 1...max(1, b.count) where !b.isEmpty {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return a.isEmpty ? b.count : row[b.count]
    }

    static func text(_ node: YNode?, _ key: String, at location: SourceLocation) throws(ScriptError) -> String {
        guard let node else { throw ScriptError(message: "`\(key)` is missing", location: location) }
        guard let scalar = node.scalar else { throw ScriptError(message: "`\(key)` must be text, not a \(node.kindName)", location: node.location) }
        return scalar.text
    }

    static func stringMap(_ node: YNode?, _ key: String) throws(ScriptError) -> [(key: String, value: String, location: SourceLocation)] {
        guard let node else { return [] }
        guard let map = node.mapping else { throw ScriptError(message: "`\(key)` must be a mapping", location: node.location) }
        var out: [(key: String, value: String, location: SourceLocation)] = []
        for pair in map.pairs {
            guard let scalar = pair.value.scalar else {
                throw ScriptError(message: "`\(key).\(pair.key.text)` must be a single value", location: pair.value.location)
            }
            out.append((pair.key.text, scalar.isNull ? "null" : scalar.text, pair.value.location))
        }
        return out
    }

    static func strings(_ node: YNode?, _ key: String) throws(ScriptError) -> [String]? {
        guard let node else { return nil }
        guard let seq = node.sequence else { throw ScriptError(message: "`\(key)` must be a list", location: node.location) }
        var out: [String] = []
        for item in seq.items {
            guard let s = item.scalar else { throw ScriptError(message: "`\(key)` items must be text", location: item.location) }
            out.append(s.text)
        }
        return out
    }

    static func parseLead(_ node: YNode?, at location: SourceLocation) throws(ScriptError) -> Lead {
        guard let node else { return Lead(phone: "+15550000001") }
        guard let map = node.mapping else { throw ScriptError(message: "`lead` must be a mapping", location: node.location) }
        try allowOnly(["phone", "name", "language", "referral"], in: map, what: "lead")
        let referral = try stringMap(map["referral"], "referral")
        return Lead(phone: try map["phone"].map { n throws(ScriptError) in try text(n, "phone", at: map.location) } ?? "+15550000001",
                    name: map["name"]?.string, language: map["language"]?.string,
                    referral: referral.isEmpty ? nil : Dictionary(referral.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 }))
    }

    static let actionKeys: Set<String> = ["say", "tap", "media", "status", "advance", "event", "operator", "lead", "deploy"]

    static func parseStep(_ node: YNode) throws(ScriptError) -> Step {
        guard let map = node.mapping else {
            throw ScriptError(message: "a step is a mapping such as `say: Hi` or `expect: {...}`", location: node.location)
        }
        try allowOnly(actionKeys.union(["expect", "error", "message", "payload", "caption", "note"]), in: map, what: "step")
        let present = map.pairs.filter { actionKeys.contains($0.key.text) }
        guard present.count <= 1 else {
            throw ScriptError(message: "one action per step; found \(present.map(\.key.text).joined(separator: ", "))", location: map.location)
        }
        var action: Action?
        var label = "expect"
        if let pair = present.first {
            let key = pair.key.text
            let value = pair.value
            label = "\(key): \(value.scalar?.text ?? "…")"
            switch key {
            case "say": action = .say(try text(value, key, at: pair.key.location))
            case "tap": action = .tap(try text(value, key, at: pair.key.location))
            case "media": action = .media(type: try text(value, key, at: pair.key.location), caption: map["caption"]?.string)
            case "status":
                let raw = try text(value, key, at: pair.key.location)
                guard let state = DeliveryStatus.State(rawValue: raw) else {
                    throw ScriptError(message: "status must be sent, delivered, read or failed, not `\(raw)`", location: value.location)
                }
                var ref = MessageRef.last
                if let m = map["message"]?.scalar, m.text != "last" {
                    guard let n = m.intValue, n >= 1 else {
                        throw ScriptError(message: "`message` is `last` or the 1-based number of a bot message", location: m.location)
                    }
                    ref = .index(n)
                }
                action = .status(state, errorCode: map["error"]?.scalar?.intValue, message: ref)
            case "advance":
                let raw = try text(value, key, at: pair.key.location)
                guard let ms = DurationSyntax.milliseconds(raw) else {
                    throw ScriptError(message: "`advance` takes a duration such as 15m, 2h or 1d, not `\(raw)`", location: value.location)
                }
                action = .advance(ms)
            case "event":
                var payload: [String: Value] = [:]
                for (k, v, _) in try stringMap(map["payload"], "payload") { payload[k] = .string(v) }
                action = .event(try text(value, key, at: pair.key.location), payload: payload)
            case "operator":
                let raw = try text(value, key, at: pair.key.location)
                guard raw == "close" else { throw ScriptError(message: "`operator` supports `close`", location: value.location) }
                action = .operatorClose
            case "lead":
                action = .lead(try parseLead(value, at: pair.key.location))
                label = "lead: \(value.mapping?["phone"]?.string ?? "…")"
            case "deploy":
                action = .deploy(try text(value, key, at: pair.key.location))
            default: break
            }
        }
        let expect = try map["expect"].map { n throws(ScriptError) in try parseExpectation(n) }
        if action == nil && expect == nil {
            throw ScriptError(message: "a step needs an action (\(actionKeys.sorted().joined(separator: ", "))) or `expect`", location: map.location)
        }
        return Step(action: action, expect: expect, location: map.location, label: label)
    }

    static func parseExpectation(_ node: YNode) throws(ScriptError) -> Expectation {
        guard let map = node.mapping else { throw ScriptError(message: "`expect` must be a mapping", location: node.location) }
        try allowOnly(["bot", "events", "session", "vars", "answers", "attribution", "audit", "errors", "handover", "sessions"],
                      in: map, what: "expect")
        var e = Expectation()
        if let bot = map["bot"] {
            guard let seq = bot.sequence else { throw ScriptError(message: "`bot` is a list of messages (`[]` for none)", location: bot.location) }
            var out: [BotExpectation] = []
            for item in seq.items {
                if let s = item.scalar {
                    out.append(BotExpectation(text: s.text, location: s.location))
                    continue
                }
                guard let m = item.mapping else { throw ScriptError(message: "a bot message is text or a mapping", location: item.location) }
                try allowOnly(["text", "contains", "buttons", "list", "template", "purpose"], in: m, what: "bot message")
                out.append(BotExpectation(text: m["text"]?.string, contains: m["contains"]?.string,
                                          buttons: try strings(m["buttons"], "buttons"), list: try strings(m["list"], "list"),
                                          template: m["template"]?.string, purpose: m["purpose"]?.string, location: m.location))
            }
            e.bot = out
        }
        if let events = map["events"] {
            guard let seq = events.sequence else { throw ScriptError(message: "`events` is a list (`[]` for none)", location: events.location) }
            var out: [EventExpectation] = []
            for item in seq.items {
                if let s = item.scalar {
                    out.append(EventExpectation(event: s.text, location: s.location))
                    continue
                }
                guard let m = item.mapping, let name = m["event"]?.string else {
                    throw ScriptError(message: "an event is its name or a mapping with `event`", location: item.location)
                }
                try allowOnly(["event", "stream", "key", "key_prefix", "audiences_add", "audiences_remove", "crm_fields", "attribution"],
                              in: m, what: "event")
                let crm = try stringMap(m["crm_fields"], "crm_fields")
                let attribution = try stringMap(m["attribution"], "attribution")
                out.append(EventExpectation(
                    event: name, stream: m["stream"]?.string, key: m["key"]?.string, keyPrefix: m["key_prefix"]?.string,
                    audiencesAdd: try strings(m["audiences_add"], "audiences_add"),
                    audiencesRemove: try strings(m["audiences_remove"], "audiences_remove"),
                    crmFields: crm.isEmpty ? nil : Dictionary(crm.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 }),
                    attribution: attribution.isEmpty ? nil : Dictionary(attribution.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 }),
                    location: m.location))
            }
            e.events = out
        }
        e.session = try stringMap(map["session"], "session")
        for item in e.session where !sessionKeys.contains(item.key) {
            throw ScriptError(message: "unknown session field `\(item.key)`; expected one of \(sessionKeys.sorted().joined(separator: ", "))",
                              location: item.location)
        }
        e.vars = try stringMap(map["vars"], "vars")
        e.answers = try stringMap(map["answers"], "answers")
        e.attribution = try stringMap(map["attribution"], "attribution")
        e.audit = try strings(map["audit"], "audit")
        e.errors = try strings(map["errors"], "errors")
        e.handover = map["handover"]?.scalar?.boolValue
        e.sessions = map["sessions"]?.scalar?.intValue
        return e
    }

    static let sessionKeys: Set<String> = ["status", "outcome", "step", "retries", "nudges", "escalations", "opted_out", "snoozed",
                                           "human_active", "entry", "language", "id_prefix", "flow", "node", "halted", "flow_version"]
}
