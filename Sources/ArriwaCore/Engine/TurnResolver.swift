/// What expressions see during a turn: `vars` of the running flow, `session`, the inbound
/// `message` (with its `classification`), `manifest` (and the router as `manifest.next`), `tenant`.
///
/// It reads the running turn in place through a pointer instead of holding copies of the session
/// state, program and message: copying those for every expression cost more than evaluating it.
/// Valid only inside `Turn.withContext`, which creates it; `Evaluator` never keeps a context.
struct TurnResolver: ValueResolver, @unchecked Sendable {
    let turn: UnsafePointer<Turn>

    func value(of path: [String]) -> Value? { turn.resolve(path) }

    func value(_ root: String, _ key: String) -> Value? {
        switch root {
        case "vars": return turn.pointee.frameVar(key)
        case "session": return turn.sessionField(key)
        case "message": return key == "classification" ? nil : turn.messageField(key)
        default: return nil
        }
    }

    func value(_ root: String, _ a: String, _ b: String, _ c: String) -> Value? {
        // `manifest.next.<step>.<answer>` (the router, read by next_step()).
        guard root == "manifest", a == "next", let step = turn.pointee.program.manifest.step(b) else { return nil }
        return .string(step.nextStep(after: c))
    }

    func value(_ root: String, _ a: String, _ b: String) -> Value? {
        switch root {
        case "session": return turn.sessionEntry(a, b)
        case "message": return a == "classification" ? turn.classificationField(b) : nil
        default: return nil
        }
    }
}

/// The resolver's lookups read the turn's fields through the pointer: each access projects just the
/// field it needs instead of copying the whole turn.
extension UnsafePointer where Pointee == Turn {
    func resolve(_ path: [String]) -> Value? {
        guard let root = path.first else { return nil }
        switch root {
        case "vars":
            let vars = pointee.state.stack.last?.vars ?? [:]
            if path.count == 1 { return .map(vars) }
            guard path.count == 2 else { return nil }
            return vars[path[1]]
        case "session": return session(path)
        case "message": return messageValue(path)
        case "manifest": return manifest(path)
        case "tenant": return tenant(path)
        default: return nil
        }
    }

    private static func string(_ s: String?) -> Value { s.map(Value.string) ?? .null }
    private static func timestamp(_ t: Int64?) -> Value { t.map(Value.timestamp) ?? .null }

    private func session(_ path: [String]) -> Value? {
        if path.count == 1 {
            var map: [String: Value] = [:]
            for key in ["id", "subscriber_id", "phone_hash", "language", "entry", "step", "retries", "nudges", "escalations",
                        "started_at", "last_inbound_at", "snoozed_until", "opted_out", "human_active", "flow_version",
                        "profile_name", "country", "timezone", "answers", "confidence", "attribution"] {
                map[key] = session(["session", key])
            }
            return .map(map)
        }
        if path.count == 3 { return sessionEntry(path[1], path[2]) }
        guard path.count == 2 else { return nil }
        return sessionField(path[1])
    }

    /// `session.<field>.<key>`.
    func sessionEntry(_ field: String, _ key: String) -> Value? {
        switch field {
        case "answers": return pointee.state.steps[key]?.answer.map(Value.string) ?? (pointee.program.manifest.index[key] != nil ? .null : nil)
        case "confidence": return pointee.state.steps[key]?.confidence.map(Value.number) ?? (pointee.program.manifest.index[key] != nil ? .null : nil)
        case "attribution": return .string(pointee.state.attribution[key] ?? "")
        default: return nil
        }
    }

    /// `session.<field>`.
    func sessionField(_ field: String) -> Value? {
        switch field {
        case "id": return .string(pointee.state.id)
        case "subscriber_id": return .string(pointee.state.subscriberID)
        case "phone_hash": return .string(pointee.state.phoneHash)
        case "language": return .string(pointee.state.language)
        case "profile_name": return Self.string(pointee.state.profileName)
        case "country": return Self.string(pointee.state.country)
        case "timezone": return Self.string(pointee.state.timezone)
        case "entry": return .string(pointee.state.entry)
        case "step": return Self.string(pointee.state.step)
        case "retries": return .int(Int64(pointee.state.currentRetries))
        case "nudges": return .int(Int64(pointee.state.nudges))
        case "escalations": return .int(Int64(pointee.state.escalations))
        case "started_at": return .timestamp(pointee.state.startedAt)
        case "last_inbound_at": return Self.timestamp(pointee.state.lastInboundAt)
        case "snoozed_until": return Self.timestamp(pointee.state.snoozedUntil)
        case "opted_out": return .bool(pointee.state.optedOut)
        case "human_active": return .bool(pointee.state.humanActive)
        case "flow_version": return .string(pointee.state.flowVersion)
        case "answers": return .map(pointee.state.answers.mapValues(Value.string))
        case "confidence": return .map(pointee.state.confidence.mapValues(Value.number))
        case "attribution": return .map(pointee.state.attribution.mapValues(Value.string))
        default: return nil
        }
    }

    private func messageValue(_ path: [String]) -> Value? {
        if path.count == 1 {
            var map: [String: Value] = [:]
            for key in ["id", "text", "type", "reply_id", "reply_title", "caption", "media_type", "received_at", "classification"] {
                map[key] = messageValue(["message", key])
            }
            return .map(map)
        }
        if path[1] == "classification" {
            guard let c = pointee.classification else { return path.count <= 3 ? .null : nil }
            if path.count == 2 {
                return .map(["validity": .string(c.validity.rawValue), "confidence": .number(c.confidence),
                             "answer": Self.string(c.answer), "quality_score": .number(c.qualityScore)])
            }
            guard path.count == 3 else { return nil }
            return classificationField(path[2])
        }
        guard path.count == 2 else { return nil }
        return messageField(path[1])
    }

    /// `message.classification.<field>`.
    func classificationField(_ field: String) -> Value? {
        guard let c = pointee.classification else { return .null }
        switch field {
        case "validity": return .string(c.validity.rawValue)
        case "confidence": return .number(c.confidence)
        case "answer": return Self.string(c.answer)
        case "quality_score": return .number(c.qualityScore)
        default: return nil
        }
    }

    /// `message.<field>` (not `classification`).
    func messageField(_ field: String) -> Value? {
        guard let m = pointee.message else {
            return ["id", "text", "type", "reply_id", "reply_title", "caption", "media_type", "received_at"].contains(field) ? .null : nil
        }
        switch field {
        case "id": return .string(m.id)
        case "text": return .string(m.effectiveText)
        case "type": return .string(m.kind.rawValue)
        case "reply_id": return Self.string(m.replyID)
        case "reply_title": return Self.string(m.replyTitle)
        case "caption": return Self.string(m.caption)
        case "media_type": return Self.string(m.mediaType)
        case "received_at": return .timestamp(m.receivedAt)
        default: return nil
        }
    }

    private func manifest(_ path: [String]) -> Value? {
        let m = pointee.program.manifest
        guard path.count >= 2 else { return nil }
        switch path[1] {
        case "next":
            guard path.count == 4, let step = m.step(path[2]) else { return nil }
            return .string(step.nextStep(after: path[3]))
        case "first": return path.count == 2 ? Self.string(m.first) : nil
        case "count": return path.count == 2 ? .int(Int64(m.steps.count)) : nil
        case "steps": return path.count == 2 ? .list(m.steps.map { .string($0.id) }) : nil
        default:
            guard let step = m.step(path[1]) else { return nil }
            var fields: [String: Value] = [
                "kind": .string(step.kind), "event": .string(step.event),
                "options": .list(step.options.map { .string($0.id) }),
                "crm_field": Self.string(step.crmField),
                "max_reprompts": .int(Int64(step.maxReprompts ?? pointee.program.tenant.maxReprompts)),
                "question": .string(step.question?.template(for: pointee.state.language)?.parts.first.map { part in
                    if case .literal(let text) = part { text } else { "" } } ?? ""),
            ]
            if path.count == 2 { return .map(fields) }
            guard path.count == 3 else { return nil }
            defer { fields = [:] }
            return fields[path[2]]
        }
    }

    private func tenant(_ path: [String]) -> Value? {
        let t = pointee.program.tenant
        guard path.count >= 2 else { return nil }
        switch path[1] {
        case "id": return .string(t.id)
        case "name": return .string(t.name)
        case "languages": return .list(t.languages.map(Value.string))
        case "thresholds":
            let map: [String: Value] = ["valid": .number(t.validThreshold), "noise": .number(t.noiseThreshold)]
            return path.count == 2 ? .map(map) : map[path[2]]
        case "limits":
            var map: [String: Value] = [
                "reprompts": .int(Int64(t.maxReprompts)), "nudges": .int(Int64(t.maxNudges)),
                "step_timeout": .duration(t.stepTimeoutMS), "auto_return_hours": .int(Int64(t.autoReturnHours)),
                "breaker_escalations": .int(Int64(t.breakerEscalations)), "pause_default": .duration(t.pauseDefaultMS),
                "pause_max": .duration(t.pauseMaxMS), "step_budget": .int(Int64(t.stepBudget)),
            ]
            map["debounce"] = t.debounceMS.map(Value.duration) ?? .null
            return path.count == 2 ? .map(map) : map[path[2]]
        default: return nil
        }
    }
}
