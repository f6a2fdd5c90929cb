import ArriwaCore
import Foundation
import Testing

/// Property tests of the pure engine on the demo clinic: random but seeded event sequences
/// (messages, taps, code words, delivery statuses, clock jumps, operator actions, stale timers)
/// driven through `Engine.handle` by a tiny runtime of our own (state per session, a timer
/// table fed by the effects, timers fired at their due time as `LocalRuntime.advance` does).
/// After every turn the invariants (numbered 1–8 in `PropertyWorld.check`) are checked; a failure names the seed and the event
/// index, and the events that led there; the disabled `replay` test runs one seed with its log.
@Suite struct EnginePropertyTests {
    /// 500 sequences of 20...60 events, in 10 parallel batches.
    static let batches = 10
    static let sequencesPerBatch = 50
    static let baseSeed: UInt64 = 0xA221_0A5E_ED00_0000

    static let program: Program? = try? Harness.program()

    @Test("invariants hold on random event sequences", arguments: 0..<batches)
    func invariants(batch: Int) throws {
        let program = try #require(Self.program, "the demo tenant does not compile")
        #expect(program.tenant.maxReprompts == 3 && program.tenant.maxNudges == 2, "the demo limits changed")
        var stats = PropertyStats()
        for i in 0..<Self.sequencesPerBatch {
            let seed = Self.baseSeed &+ UInt64(batch * Self.sequencesPerBatch + i)
            var world = PropertyWorld(program: program, seed: seed, checkPurity: true)
            world.runSequence()
            stats.merge(world.stats)
            if let failure = world.failure {
                Issue.record(Comment(rawValue: failure))
            }
        }
        // Coverage: the sequences must actually reach the situations the invariants are about.
        print("EngineProperty batch \(batch): \(stats.summary)")
        #expect(stats.count("turns") > 1_000)
    }

    @Test("the generator reaches every situation the invariants are about")
    func coverage() throws {
        let program = try #require(Self.program)
        var stats = PropertyStats()
        for i in 0..<60 {
            var world = PropertyWorld(program: program, seed: Self.baseSeed &+ UInt64(i), checkPurity: false)
            world.runSequence()
            stats.merge(world.stats)
        }
        for key in ["send.nudge", "send.clarify", "send.reprompt", "code.stop", "code.start", "code.pause", "code.operator",
                    "outcome.qualified", "outcome.rejected", "timer.timeout", "timer.nudge", "timer.stale", "event.status.failed",
                    "needsClassification", "turn.optedOut", "turn.humanActive", "escalated"] {
            #expect(stats.count(key) > 0, "no \(key) in 60 sequences: \(stats.summary)")
        }
    }

    /// Purity across whole sequences: the same seed gives the same states and effects, turn by turn.
    @Test("the same seed replays to identical states and effects")
    func determinism() throws {
        let program = try #require(Self.program)
        for i in 0..<40 {
            let seed = Self.baseSeed &+ 0x1_0000 &+ UInt64(i)
            var first = PropertyWorld(program: program, seed: seed, checkPurity: false, recordTrace: true)
            first.runSequence()
            var second = PropertyWorld(program: program, seed: seed, checkPurity: false, recordTrace: true)
            second.runSequence()
            #expect(first.trace.count == second.trace.count, "seed \(hex(seed)): \(first.trace.count) vs \(second.trace.count) turns")
            if let k = zip(first.trace, second.trace).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
                Issue.record("seed \(hex(seed)): turn \(k) differs between two runs of the same sequence")
            }
        }
    }

    /// The ASCII fast paths of `TextNormalizer` (normalize, containsWords) give what the Unicode
    /// algorithm gives, on ASCII, non-ASCII and mixed text.
    @Test("TextNormalizer's fast paths agree with the Unicode algorithm")
    func normalizerFastPaths() {
        var rng = SplitMix64(seed: Self.baseSeed ^ 0x7E47)
        let ascii = Array("aAbBzZ09 59 .,!?-_'\t\n$%()")
        let other: [Character] = ["é", "ё", "Ё", "Ж", "ß", "🙂", "e\u{301}", "ﬁ", "٣", "\u{00A0}", "İ", "ǅ", "Ⅻ"]
        let words = ["implants", "whitening", "check up", "this week", "a", "ab", "имплант", "осмотр зубов"]
        for i in 0..<4_000 {
            var text = ""
            for _ in 0..<rng.below(24) {
                text.append(rng.chance(85) ? rng.pick(ascii) : rng.pick(other))
            }
            if rng.chance(30) { text += " " + rng.pick(words) + (rng.chance(50) ? "!" : " ok") }
            let normalized = TextNormalizer.normalize(text)
            #expect(normalized == Reference.normalize(text), "case \(i): normalize(\"\(text)\")")
            let phrase: String
            if rng.chance(50), !normalized.isEmpty {
                let tokens = normalized.split(separator: " ")
                let from = rng.below(tokens.count)
                let to = from + rng.below(tokens.count - from)
                phrase = tokens[from...to].joined(separator: " ")
            } else {
                phrase = Reference.normalize(rng.pick(words))
            }
            for (t, p) in [(normalized, phrase), (normalized, String(phrase.dropLast())), (phrase, normalized)] {
                #expect(TextNormalizer.containsWords(t, p) == Reference.containsWords(t, p),
                        "case \(i): containsWords(\"\(t)\", \"\(p)\")")
            }
        }
    }

    /// Runs one seed alone with its event log printed: set the seed and remove `.disabled`.
    @Test("replay one seed", .disabled("for debugging a reported seed"))
    func replay() throws {
        let program = try #require(Self.program)
        var world = PropertyWorld(program: program, seed: Self.baseSeed, checkPurity: true, verbose: true)
        world.runSequence()
        if let failure = world.failure { Issue.record(Comment(rawValue: failure)) }
    }
}

/// TextNormalizer as it was before its ASCII fast paths: the reference they must agree with.
enum Reference {
    static func normalize(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in text.lowercased().unicodeScalars {
            let props = scalar.properties
            if props.isAlphabetic || props.numericType != nil {
                if pendingSpace && !out.isEmpty { out.append(" ") }
                pendingSpace = false
                out.append(scalar == "ё" ? "е" : scalar)
            } else if props.generalCategory == .nonspacingMark {
                continue
            } else {
                pendingSpace = true
            }
        }
        return String(out)
    }

    static func containsWords(_ text: String, _ phrase: String) -> Bool {
        guard !phrase.isEmpty, text.count >= phrase.count else { return false }
        if text == phrase { return true }
        return (" " + text + " ").contains(" " + phrase + " ")
    }
}

func hex(_ seed: UInt64) -> String { "0x" + String(seed, radix: 16, uppercase: true) }

/// Steele, Lea & Flood's SplitMix64: tiny, fast, and the same sequence on every platform.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// 0..<bound, without the stdlib's algorithm (which may change between releases).
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
    mutating func between(_ low: Int64, _ high: Int64) -> Int64 { low + Int64(next() % UInt64(high - low + 1)) }
}

/// Counters for coverage and the report.
struct PropertyStats {
    private(set) var counts: [String: Int] = [:]

    mutating func add(_ key: String, _ n: Int = 1) { counts[key, default: 0] += n }
    func count(_ key: String) -> Int { counts[key] ?? 0 }
    mutating func merge(_ other: PropertyStats) { for (k, v) in other.counts { counts[k, default: 0] += v } }
    var summary: String { counts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
}

/// One recorded turn (for the determinism property).
struct TracedTurn: Equatable {
    var state: SessionState?
    var effects: [Effect]
}

/// The tiny runtime: sessions by id, the latest session of the one lead, the timer table the
/// effects build, the ids of sent messages, and the invariants' own bookkeeping.
struct PropertyWorld {
    let engine: Engine
    let tenant: TenantSettings
    let seed: UInt64
    var rng: SplitMix64
    let language: String
    let checkPurity: Bool
    let recordTrace: Bool
    let verbose: Bool

    var now: Int64 = Harness.t0
    var sessions: [String: SessionState] = [:]
    var latest: String?
    /// The runtime's timer table, built from `.schedule` / `.cancel` effects.
    var timers: [String: TimerSpec] = [:]
    /// Timers that fired or were cancelled: fired again later they are stale.
    var gone: [TimerSpec] = []
    var messageSessions: [String: String] = [:]
    var sent: [String] = []
    var inboundSeq = 0

    // Invariant bookkeeping.
    var emittedKeys: [String: String] = [:]
    /// Clarify / re-prompt sends per "session|step" since the step's last valid answer.
    var clarifies: [String: Int] = [:]
    /// Nudge sends per "session|waitToken".
    var nudges: [String: Int] = [:]

    var stats = PropertyStats()
    var trace: [TracedTurn] = []
    var log: [String] = []
    var eventIndex = 0
    var turnsInEvent = 0
    var failure: String?

    init(program: Program, seed: UInt64, checkPurity: Bool, recordTrace: Bool = false, verbose: Bool = false) {
        engine = Engine(program: program)
        tenant = program.tenant
        self.seed = seed
        var rng = SplitMix64(seed: seed)
        language = rng.chance(30) ? "ru" : "en"
        self.rng = rng
        self.checkPurity = checkPurity
        self.recordTrace = recordTrace
        self.verbose = verbose
    }

    var current: SessionState? { latest.flatMap { sessions[$0] } }

    // MARK: - The sequence

    mutating func runSequence() {
        let length = 20 + rng.below(41)
        for i in 0..<length {
            eventIndex = i
            turnsInEvent = 0
            step()
            if failure != nil { return }
        }
    }

    mutating func step() {
        guard let state = current else { return message(.text, "Hi", tag: "first message") }
        let roll = rng.below(100)
        switch roll {
        case 0..<26: validAnswer(state)
        case 26..<32: wrongTap(state)
        case 32..<37: message(.text, rng.pick(language == "ru" ? Texts.gibberishRU : Texts.gibberish), tag: "gibberish")
        case 37..<41: message(.text, rng.pick(Texts.ambiguous), tag: "ambiguous")
        case 41..<45: message(.text, rng.pick(Texts.questions), tag: "question")
        case 45..<48: message(.media, "", tag: "media without text")
        case 48..<57: message(.text, rng.pick(rng.chance(50) ? Texts.codeWordsEN : Texts.codeWordsRU), tag: "code word")
        case 57..<60: message(.text, rng.chance(50) ? "Hi" : "Здравствуйте", tag: "first message again")
        case 60..<76: status()
        case 76..<88: advance()
        case 88..<93: operatorClose()
        case 93..<96: external()
        default: staleTimer()
        }
    }

    mutating func validAnswer(_ state: SessionState) {
        guard state.status != .ended, let step = state.step else { return message(.text, "Hi", tag: "first message") }
        switch step {
        case "Q1":
            if rng.chance(80) {
                let option = rng.pick(Texts.q1)
                message(.button, "", replyID: option.id, replyTitle: option.title, tag: "valid tap")
            } else {
                message(.text, rng.pick(["implants", "whitening", "check-up", "имплант", "отбелить"]), tag: "valid text")
            }
        case "Q2":
            let option = rng.chance(10) ? Texts.q2[4] : rng.pick(Array(Texts.q2.prefix(4)))
            message(.list, "", replyID: option.id, replyTitle: option.title, tag: "valid list tap")
        case "Q3":
            message(.text, rng.pick(["2000", "about 3k", "$1500", "500", "7000", "около 3 тысяч"]), tag: "valid number")
        default:
            message(.text, rng.pick(["Moscow", "Saint Petersburg", "Москва, Хамовники", "near Tverskaya"]), tag: "valid city")
        }
    }

    mutating func wrongTap(_ state: SessionState) {
        let options = state.step == "Q1" ? Texts.q2 : state.step == "Q2" ? Texts.q1 : Texts.q1 + Texts.q2
        let option = rng.pick(options)
        message(rng.chance(50) ? .button : .list, "", replyID: option.id, replyTitle: option.title, tag: "wrong tap")
    }

    // MARK: - Stimuli

    mutating func message(_ kind: InboundMessage.Kind, _ text: String, replyID: String? = nil, replyTitle: String? = nil,
                          tag: String) {
        inboundSeq += 1
        let contact = Contact(subscriberID: "sub-1", phoneHash: "hash-1", profileName: "Lead", language: language)
        let message = InboundMessage(id: "wamid.\(inboundSeq)", kind: kind, text: text, replyID: replyID, replyTitle: replyTitle,
                                     mediaType: kind == .media ? "image" : nil, receivedAt: now, contact: contact)
        stats.add("event." + tag.replacingOccurrences(of: " ", with: "_"))
        let described = "\(tag) \(kind.rawValue) \"\(text)\"" + (replyID.map { " reply \($0)" } ?? "")
        turn(.inbound(message), before: current, described: described)
    }

    mutating func status() {
        guard !sent.isEmpty else { return advance() }
        let id = rng.chance(70) ? sent[sent.count - 1] : rng.pick(sent)
        let state: DeliveryStatus.State = rng.pick([.sent, .delivered, .read, .failed])
        let code: Int? = state == .failed ? rng.pick([131047, 131047, 131026, nil]) : nil
        // Providers report statuses late and out of order; now and then minutes late.
        let late: Int64 = rng.chance(20) ? rng.between(1, 20) * Harness.minute : 0
        stats.add("event.status.\(state.rawValue)")
        guard let sessionID = messageSessions[id] else { return }
        let event = EngineEvent.status(DeliveryStatus(messageID: id, state: state, at: now - late, errorCode: code))
        let which = id == sent.last ? "last" : "old"
        turn(event, before: sessions[sessionID],
             described: "status \(state.rawValue) of \(which) \(id)" + (code.map { " error \($0)" } ?? "") + (late > 0 ? " \(late / Harness.minute) min late" : ""))
    }

    mutating func advance() {
        let ms: Int64 = switch rng.below(6) {
        case 0: rng.between(1, 5) * Harness.minute
        case 1: rng.between(10, 20) * Harness.minute
        case 2: rng.between(25, 70) * Harness.minute
        case 3: rng.between(60, 300) * Harness.minute
        case 4: rng.between(20 * 60, 26 * 60) * Harness.minute
        default: rng.between(Harness.minute, 26 * Harness.hour)
        }
        stats.add("event.advance")
        let target = now + ms
        if verbose { print("#\(eventIndex) advance \(ms / Harness.minute) min") }
        log.append("#\(eventIndex) advance \(ms / Harness.minute) min")
        var fired = 0
        while failure == nil,
              let timer = timers.values.filter({ $0.dueAt <= target }).min(by: { ($0.dueAt, $0.id) < ($1.dueAt, $1.id) }) {
            now = max(now, timer.dueAt)
            timers[timer.id] = nil
            gone.append(timer)
            fired += 1
            guard fired <= 100 else {
                fail(8, "more than 100 timers fired in one clock advance (a timer loop?)")
                return
            }
            stats.add("timer.\(timer.kind.rawValue)")
            turn(.timer(TimerFired(timer)), before: sessions[timer.sessionID],
                 described: "timer \(timer.id) due \((timer.dueAt - Harness.t0) / Harness.minute) min")
        }
        now = target
    }

    mutating func operatorClose() {
        stats.add("event.operatorClose")
        turn(.operatorAction(OperatorAction(kind: .close, operatorID: "op-1", at: now)), before: current, described: "operator close")
    }

    mutating func external() {
        stats.add("event.external")
        turn(.external(ExternalEvent(name: "payment.completed", payload: ["amount": .int(100)], at: now)), before: current,
             described: "external payment.completed")
    }

    /// Fires a timer that was already fired or cancelled, or a pending one with another token.
    mutating func staleTimer() {
        let candidates = gone.filter { timers[$0.id] == nil }
        let timer: TimerSpec
        if !candidates.isEmpty, rng.chance(70) {
            timer = rng.pick(candidates)
        } else if let pending = timers.values.sorted(by: { $0.id < $1.id }).first, pending.kind != .handoverReturn {
            timer = TimerSpec(sessionID: pending.sessionID, kind: pending.kind, token: pending.token &+ 1 + UInt64(rng.below(3)),
                              index: pending.index, dueAt: pending.dueAt)
        } else {
            return advance()
        }
        stats.add("timer.stale")
        turn(.timer(TimerFired(timer)), before: sessions[timer.sessionID], described: "stale timer \(timer.id)")
    }

    // MARK: - One turn

    mutating func fail(_ invariant: Int, _ problem: String) {
        guard failure == nil else { return }
        let history = log.suffix(14).joined(separator: "\n    ")
        failure = "seed \(hex(seed)) event #\(eventIndex) (turn \(turnsInEvent) of it): invariant \(invariant): \(problem)\n  events so far (last 14):\n    \(history)"
    }

    static func same(_ a: Engine.TurnResult, _ b: Engine.TurnResult) -> Bool {
        switch (a, b) {
        case (.completed(let s1, let e1), .completed(let s2, let e2)): s1 == s2 && e1 == e2
        case (.needsClassification(let r1), .needsClassification(let r2)): r1 == r2
        default: false
        }
    }

    /// `Engine.apply` on a state nobody else holds (decoded afresh, so its writes happen in place
    /// and a failed, unchanged or suspended turn must be reverted by the undo log) gives what
    /// `handle` gave; a suspended turn leaves the state as it was.
    func inPlaceMismatch(_ event: EngineEvent, before: SessionState?, after: SessionState?, effects: [Effect]) -> String? {
        func fresh(_ state: SessionState?) -> SessionState? {
            guard let state, let data = try? JSONEncoder().encode(state) else { return nil }
            return try? JSONDecoder().decode(SessionState.self, from: data)
        }
        var state = fresh(before)
        if (state == nil) != (before == nil) { return "the state does not round-trip through JSON" }
        var outcome = engine.apply(&state, event, now: now)
        if case .needsClassification(let request) = outcome {
            if state != before { return "a suspended turn changed the state" }
            outcome = engine.apply(&state, event, now: now, classification: request.rules ?? RulesClassifier().classify(request))
        }
        guard case .completed(let inPlaceEffects) = outcome else { return "the turn did not complete" }
        if state != after { return "the state differs from handle's" }
        if inPlaceEffects != effects { return "the effects differ from handle's" }
        return nil
    }

    mutating func turn(_ event: EngineEvent, before: SessionState?, described: String) {
        turnsInEvent += 1
        let entry = "#\(eventIndex) t+\((now - Harness.t0) / Harness.minute) min: \(described)"
        log.append(entry)
        if verbose { print(entry) }
        let purity = checkPurity && eventIndex % 10 == 0
        var result = engine.handle(before, event, now: now)
        if purity, !Self.same(result, engine.handle(before, event, now: now)) {
            return fail(0, "purity: the same (state, event, now) gave two different results")
        }
        if case .needsClassification(let request) = result {
            stats.add("needsClassification")
            let answer = request.rules ?? RulesClassifier().classify(request)
            result = engine.handle(before, event, now: now, classification: answer)
            if purity, !Self.same(result, engine.handle(before, event, now: now, classification: answer)) {
                return fail(0, "purity: the same (state, event, now, classification) gave two different results")
            }
        }
        guard case .completed(let after, let effects) = result else {
            return fail(1, "the turn did not complete with the rules' classification fed back")
        }
        if checkPurity, let message = inPlaceMismatch(event, before: before, after: after, effects: effects) {
            return fail(0, "in place: \(message)")
        }
        stats.add("turns")
        if recordTrace { trace.append(TracedTurn(state: after, effects: effects)) }
        if verbose {
            for effect in effects { print("    \(effect)") }
        }
        check(event, before: before, after: after, effects: effects)
        commit(event, after: after, effects: effects)
        if let after {
            // The runtime's timer table (built from effects) and the state agree.
            let table = timers.filter { $0.value.sessionID == after.id }
            if table != after.timers {
                fail(8, "the timers scheduled by effects \(table.keys.sorted()) differ from state.timers \(after.timers.keys.sorted())")
            }
        }
    }

    // MARK: - Invariants

    mutating func check(_ event: EngineEvent, before: SessionState?, after: SessionState?, effects: [Effect]) {
        let sends = effects.compactMap { if case .send(let m) = $0 { m } else { nil } }
        let failures = effects.compactMap { if case .error(let f) = $0 { f } else { nil } }
        let sendList = { (list: [OutboundMessage]) in list.map { "\($0.origin) \"\($0.content.body.prefix(40))\"" }.joined(separator: ", ") }
        var codeWord: TenantSettings.CodeWord?
        if case .inbound(let message) = event { codeWord = CodeWords.match(message.effectiveText, in: tenant)?.kind }

        // Coverage counters.
        if before?.optedOut == true { stats.add("turn.optedOut") }
        if before?.humanActive == true { stats.add("turn.humanActive") }
        if let codeWord, before != nil, before?.status != .ended { stats.add("code.\(codeWord.rawValue)") }
        for send in sends {
            stats.add("send")
            if send.purpose == .nudge { stats.add("send.nudge") }
            if send.origin == "qualification/clarify" { stats.add("send.clarify") }
            if send.origin == "qualification/reprompt" { stats.add("send.reprompt") }
            if case .template = send.content { stats.add("send.template") }
        }
        for f in failures { stats.add("error.\(f.code.rawValue)") }
        if effects.contains(where: { if case .emit(let e) = $0 { e.event.hasPrefix("NEG_") && e.key.contains("escalated") } else { false } }) {
            stats.add("escalated")
        }
        if let after, after.status == .ended, before?.status != .ended || before?.id != after.id {
            stats.add("outcome.\(after.outcome ?? "nil")")
        }

        // 2. The step budget never runs out silently — and on the demo flows never at all. Nor does
        //    any failure that means a broken program.
        for f in failures where f.code == .stepBudgetExceeded {
            if after?.status != .halted { return fail(2, "step_budget_exceeded but the session is not halted: \(f.message)") }
            return fail(2, "step_budget_exceeded on the demo flows: \(f.message)")
        }
        for f in failures where [.evaluation, .missingEdge, .unknownStep, .versionMismatch].contains(f.code) {
            return fail(2, "engine failure \(f.code.rawValue) on the validated demo flows: \(f.message)")
        }

        // 3. Opted out: silent until a `start` turn; in the stop turn only the confirmation.
        if let before, before.optedOut, codeWord != .start, !sends.isEmpty {
            return fail(3, "sent while opted out: \(sendList(sends))")
        }
        if let after, after.optedOut, before?.optedOut != true {
            let others = sends.filter { $0.origin != "messages/stopped" }
            if !others.isEmpty { return fail(3, "the stop turn sent more than its confirmation: \(sendList(others))") }
        }

        // 4. At most 3 clarify / re-prompt sends per step between two valid answers to it.
        let sessionID = after?.id ?? before?.id ?? "-"
        for effect in effects {
            if case .emit(let e) = effect, e.origin == "qualification/record", let step = e.step {
                clarifies["\(sessionID)|\(step)"] = 0
            }
        }
        for send in sends where send.purpose == .flow
            && (send.origin == "qualification/clarify" || send.origin == "qualification/reprompt") {
            let key = "\(sessionID)|\(send.step ?? "?")"
            clarifies[key, default: 0] += 1
            if clarifies[key, default: 0] > 3 {
                return fail(4, "\(clarifies[key, default: 0]) clarify/re-prompt sends for \(send.step ?? "?") since its last valid answer")
            }
        }
        if let after, let bad = after.retries.first(where: { $0.value > 3 }) {
            return fail(4, "state.retries[\(bad.key)] = \(bad.value) > 3")
        }

        // 5. At most 2 nudges per wait.
        for send in sends where send.purpose == .nudge {
            guard case .timer(let fired) = event else { return fail(5, "a nudge sent outside a nudge timer turn") }
            let key = "\(sessionID)|\(fired.timer.token)"
            nudges[key, default: 0] += 1
            if nudges[key, default: 0] > 2 { return fail(5, "\(nudges[key, default: 0]) nudges in wait \(fired.timer.token)") }
        }

        // 6. No emission key twice over the whole sequence.
        for effect in effects {
            guard case .emit(let e) = effect else { continue }
            if let first = emittedKeys[e.key] {
                return fail(6, "emission key \(e.key) (\(e.event)) emitted twice; first at \(first)")
            }
            emittedKeys[e.key] = "event #\(eventIndex) \(e.event)"
        }

        // 7. A human is active: the bot is silent (the stop confirmation aside) until the operator
        //    closes or the handover times out.
        var handsBack = false
        if case .operatorAction(let action) = event, action.kind == .close { handsBack = true }
        if case .timer(let fired) = event, fired.timer.kind == .handoverReturn { handsBack = true }
        if let before, before.humanActive, !handsBack {
            let others = sends.filter { $0.origin != "messages/stopped" }
            if !others.isEmpty { return fail(7, "sent while a human is active: \(sendList(others))") }
        }

        // 8. Timers: never due in the past; stale ones change nothing visible.
        for effect in effects {
            if case .schedule(let timer) = effect, timer.dueAt < now {
                return fail(8, "timer \(timer.id) scheduled \((now - timer.dueAt) / 1000) s in the past")
            }
        }
        if case .timer(let fired) = event {
            let timer = fired.timer
            let stale = before?.timers[timer.id] != timer
                || (timer.kind != .handoverReturn && timer.token != before?.waitToken)
            if stale, !effects.isEmpty {
                return fail(8, "the stale timer \(timer.id) produced effects: \(effects.map { "\($0)".prefix(80) })")
            }
        }
    }

    mutating func commit(_ event: EngineEvent, after: SessionState?, effects: [Effect]) {
        if let after {
            sessions[after.id] = after
            if case .inbound = event { latest = after.id }
        }
        for effect in effects {
            switch effect {
            case .schedule(let timer):
                timers[timer.id] = timer
            case .cancel(let id):
                if let timer = timers.removeValue(forKey: id) { gone.append(timer) }
            case .send(let message):
                messageSessions[message.id] = message.sessionID
                sent.append(message.id)
            default:
                break
            }
        }
    }
}

/// What the lead writes.
enum Texts {
    static let q1: [(id: String, title: String)] = [("implants", "Implants"), ("whitening", "Whitening"), ("checkup", "Check-up")]
    static let q2: [(id: String, title: String)] = [("this_week", "This week"), ("this_month", "This month"),
                                                    ("in_3_months", "In 1–3 months"), ("later", "Later this year"),
                                                    ("researching", "Just researching")]
    static let gibberish = ["asdfgh", "lol", "zzz zzz", "😀😀", "...", "hmm", "qwerty 123", "k"]
    static let gibberishRU = ["ывапр", "ага", "ну", "😀", "ммм", "фыва 12"]
    static let ambiguous = ["implants or whitening", "this week or later", "2000000", "999.5", "whitening or a check-up"]
    static let questions = ["how much does it cost?", "is it painful?", "do you work on weekends?", "сколько стоит?", "where are you?"]
    static let codeWordsEN = ["stop", "pause", "pause 2h", "start", "operator", "STOP", "Start!"]
    static let codeWordsRU = ["стоп", "пауза", "пауза 30 минут", "старт", "оператор"]
}
