/// What a session holds for one manifest step: its answer, the text it was classified from, the
/// classifier's confidence and the clarifications / re-prompts sent. Any field may be absent (the
/// four were separate maps); a record with none is never stored, so equality and hashing of the
/// state are those of the four maps.
struct StepRecord: Sendable, Hashable {
    var answer: String?
    var raw: String?
    var confidence: Double?
    var retries: Int?

    var isEmpty: Bool { answer == nil && raw == nil && confidence == nil && retries == nil }
}

extension Dictionary where Key == String, Value == StepRecord {
    /// The map of one field (`answers`, `answersRaw`, `confidence`, `retries`): the steps that have it.
    func view<T>(_ field: KeyPath<StepRecord, T?>) -> [String: T] {
        var out: [String: T] = [:]
        for (step, record) in self {
            if let value = record[keyPath: field] { out[step] = value }
        }
        return out
    }

    /// Sets one field of every step to `values` (absent: cleared), dropping records left empty.
    mutating func replace<T>(_ field: WritableKeyPath<StepRecord, T?>, with values: [String: T]) {
        for (step, record) in self where values[step] == nil && record[keyPath: field] != nil {
            var cleared = record
            cleared[keyPath: field] = nil
            self[step] = cleared.isEmpty ? nil : cleared
        }
        for (step, value) in values {
            self[step, default: StepRecord()][keyPath: field] = value
        }
    }
}

/// The stored (Codable) form of the fields: exactly what the synthesized coding of the earlier
/// plain struct wrote — the same keys in the same order, absent optionals omitted, and the per-step
/// records as the four maps `retries`, `answers`, `answersRaw`, `confidence` — so stored sessions
/// decode and the stores' documents keep their shape.
extension SessionState.Fields: Codable {
    private enum CodingKeys: String, CodingKey {
        case id, subscriberID, phoneHash, tenant, flowVersion, status, outcome, haltReason, language, profileName, country
        case timezone, entry, attribution, referralRaw, startedAt, lastInboundAt, optedOut, snoozedUntil, humanActive
        case humanSince, stack, waitToken, waitingSince, timers, step, retries, answers, answersRaw, confidence, nudges
        case escalations, promptNode, lastOutbound, messageSeq, emittedKeys, turn, lastInboundText
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        subscriberID = try c.decode(String.self, forKey: .subscriberID)
        phoneHash = try c.decode(String.self, forKey: .phoneHash)
        tenant = try c.decode(String.self, forKey: .tenant)
        flowVersion = try c.decode(String.self, forKey: .flowVersion)
        status = try c.decode(SessionState.Status.self, forKey: .status)
        outcome = try c.decodeIfPresent(String.self, forKey: .outcome)
        haltReason = try c.decodeIfPresent(String.self, forKey: .haltReason)
        language = try c.decode(String.self, forKey: .language)
        profileName = try c.decodeIfPresent(String.self, forKey: .profileName)
        country = try c.decodeIfPresent(String.self, forKey: .country)
        timezone = try c.decodeIfPresent(String.self, forKey: .timezone)
        entry = try c.decode(String.self, forKey: .entry)
        attribution = try c.decode([String: String].self, forKey: .attribution)
        referralRaw = try c.decodeIfPresent(String.self, forKey: .referralRaw)
        startedAt = try c.decode(Int64.self, forKey: .startedAt)
        lastInboundAt = try c.decodeIfPresent(Int64.self, forKey: .lastInboundAt)
        optedOut = try c.decode(Bool.self, forKey: .optedOut)
        snoozedUntil = try c.decodeIfPresent(Int64.self, forKey: .snoozedUntil)
        humanActive = try c.decode(Bool.self, forKey: .humanActive)
        humanSince = try c.decodeIfPresent(Int64.self, forKey: .humanSince)
        stack = try c.decode([SessionState.Frame].self, forKey: .stack)
        waitToken = try c.decode(UInt64.self, forKey: .waitToken)
        waitingSince = try c.decodeIfPresent(Int64.self, forKey: .waitingSince)
        timers = try c.decode([String: TimerSpec].self, forKey: .timers)
        step = try c.decodeIfPresent(String.self, forKey: .step)
        // In the stored order of the keys, so a failure names the same key as before.
        let retries = try c.decode([String: Int].self, forKey: .retries)
        let answers = try c.decode([String: String].self, forKey: .answers)
        let answersRaw = try c.decode([String: String].self, forKey: .answersRaw)
        let confidence = try c.decode([String: Double].self, forKey: .confidence)
        var steps: [String: StepRecord] = [:]
        steps.reserveCapacity(Swift.max(answers.count, retries.count))
        for (step, value) in retries { steps[step, default: StepRecord()].retries = value }
        for (step, value) in answers { steps[step, default: StepRecord()].answer = value }
        for (step, value) in answersRaw { steps[step, default: StepRecord()].raw = value }
        for (step, value) in confidence { steps[step, default: StepRecord()].confidence = value }
        self.steps = steps
        nudges = try c.decode(Int.self, forKey: .nudges)
        escalations = try c.decode(Int.self, forKey: .escalations)
        promptNode = try c.decodeIfPresent(String.self, forKey: .promptNode)
        lastOutbound = try c.decodeIfPresent(SessionState.LastOutbound.self, forKey: .lastOutbound)
        messageSeq = try c.decode(Int.self, forKey: .messageSeq)
        emittedKeys = try c.decode(Set<String>.self, forKey: .emittedKeys)
        turn = try c.decode(Int.self, forKey: .turn)
        lastInboundText = try c.decodeIfPresent(String.self, forKey: .lastInboundText)
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(subscriberID, forKey: .subscriberID)
        try c.encode(phoneHash, forKey: .phoneHash)
        try c.encode(tenant, forKey: .tenant)
        try c.encode(flowVersion, forKey: .flowVersion)
        try c.encode(status, forKey: .status)
        try c.encodeIfPresent(outcome, forKey: .outcome)
        try c.encodeIfPresent(haltReason, forKey: .haltReason)
        try c.encode(language, forKey: .language)
        try c.encodeIfPresent(profileName, forKey: .profileName)
        try c.encodeIfPresent(country, forKey: .country)
        try c.encodeIfPresent(timezone, forKey: .timezone)
        try c.encode(entry, forKey: .entry)
        try c.encode(attribution, forKey: .attribution)
        try c.encodeIfPresent(referralRaw, forKey: .referralRaw)
        try c.encode(startedAt, forKey: .startedAt)
        try c.encodeIfPresent(lastInboundAt, forKey: .lastInboundAt)
        try c.encode(optedOut, forKey: .optedOut)
        try c.encodeIfPresent(snoozedUntil, forKey: .snoozedUntil)
        try c.encode(humanActive, forKey: .humanActive)
        try c.encodeIfPresent(humanSince, forKey: .humanSince)
        try c.encode(stack, forKey: .stack)
        try c.encode(waitToken, forKey: .waitToken)
        try c.encodeIfPresent(waitingSince, forKey: .waitingSince)
        try c.encode(timers, forKey: .timers)
        try c.encodeIfPresent(step, forKey: .step)
        try c.encode(steps.view(\.retries), forKey: .retries)
        try c.encode(steps.view(\.answer), forKey: .answers)
        try c.encode(steps.view(\.raw), forKey: .answersRaw)
        try c.encode(steps.view(\.confidence), forKey: .confidence)
        try c.encode(nudges, forKey: .nudges)
        try c.encode(escalations, forKey: .escalations)
        try c.encodeIfPresent(promptNode, forKey: .promptNode)
        try c.encodeIfPresent(lastOutbound, forKey: .lastOutbound)
        try c.encode(messageSeq, forKey: .messageSeq)
        try c.encode(emittedKeys, forKey: .emittedKeys)
        try c.encode(turn, forKey: .turn)
        try c.encodeIfPresent(lastInboundText, forKey: .lastInboundText)
    }
}
