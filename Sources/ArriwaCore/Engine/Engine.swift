/// The flow interpreter: a pure function of (program, state, event, now) → (state', effects).
/// No I/O, no clock reads, no randomness: the runtime passes ids and time in, and can replay a
/// turn after a crash and get the same result.
public struct Engine: Sendable {
    public let program: Program

    public init(program: Program) {
        self.program = program
    }

    public enum TurnResult: Sendable {
        /// The turn finished: persist `state` (nil: no session was created) and the effects in one commit.
        case completed(state: SessionState?, effects: [Effect])
        /// An `llm.classify` node needs a classifier the engine cannot run (a model). Classify outside
        /// any transaction and call `handle` again with the same state and event plus the answer.
        case needsClassification(ClassifyRequest)
    }

    /// Applies one event. `classification` answers a previous `.needsClassification`.
    public func handle(_ state: SessionState?, _ event: EngineEvent, now: Int64,
                       classification: Classification? = nil) -> TurnResult {
        if let state, state.flowVersion != program.version {
            let failure = EngineFailure(code: .versionMismatch,
                                        message: "session \(state.id) is on flow version \(state.flowVersion), this program is \(program.version)")
            return .completed(state: state, effects: [.error(failure)])
        }
        var turn = Turn(program: program, now: now, provided: classification, state: state)
        switch event {
        case .inbound(let message):
            return turn.finish(turn.inbound(message, state: state), original: state)
        case .status(let status):
            guard let state else { return .completed(state: nil, effects: []) }
            return turn.finish(turn.status(status, state: state), original: state)
        case .timer(let fired):
            guard let state else { return .completed(state: nil, effects: []) }
            return turn.finish(turn.timer(fired.timer, state: state), original: state)
        case .external(let external):
            guard let state else { return .completed(state: nil, effects: []) }
            return turn.finish(turn.external(external, state: state), original: state)
        case .operatorAction(let action):
            guard let state else { return .completed(state: nil, effects: []) }
            return turn.finish(turn.operatorAction(action, state: state), original: state)
        }
    }
}

/// One turn's working set: the state being changed and the effects collected.
struct Turn {
    let program: Program
    let now: Int64
    let provided: Classification?
    var state: SessionState
    var effects: [Effect] = []
    var message: InboundMessage?
    var classification: Classification?
    var providedUsed = false
    var nodesRun = 0
    var suspended: ClassifyRequest?
    /// True while `start` repeats the current prompt (not counted as a re-prompt).
    var resending = false
    /// A session created in this turn, as created (what a failed first turn keeps).
    var created: SessionState?

    /// `state`: the session's state, which the handlers start from (each sets `state` itself); a
    /// blank state when there is none yet.
    init(program: Program, now: Int64, provided: Classification?, state: SessionState?) {
        self.program = program
        self.now = now
        self.provided = provided
        self.state = state ?? SessionState(id: "", contact: Contact(subscriberID: "", phoneHash: ""), tenant: program.tenant.id,
                                           flowVersion: program.version, language: program.tenant.defaultLanguage, entry: "organic",
                                           attribution: [:], referralRaw: nil, startedAt: now)
        effects.reserveCapacity(8)
    }

    enum Step {
        case changed
        case unchanged
    }

    /// Turns a step's outcome (or failure) into the result: a failed turn keeps none of its effects,
    /// halts the session and hands it to a human.
    mutating func finish(_ result: Result<Step, EngineFailure>, original: SessionState?) -> Engine.TurnResult {
        if let request = suspended { return .needsClassification(request) }
        switch result {
        case .success(.unchanged):
            return .completed(state: original, effects: effects)
        case .success(.changed):
            state.turn += 1
            return .completed(state: state, effects: effects)
        case .failure(let failure):
            return .completed(state: halted(failure, original: original), effects: effects)
        }
    }

    mutating func halted(_ failure: EngineFailure, original: SessionState?) -> SessionState {
        var base = original ?? created ?? state
        if let message, original != nil {
            base.lastInboundAt = max(base.lastInboundAt ?? 0, message.receivedAt)
            base.lastInboundText = message.effectiveText
        }
        effects = []
        state = base
        state.status = .halted
        state.haltReason = failure.message
        state.turn += 1
        cancelTimers { $0.kind != .handoverReturn }
        effects.append(.error(failure))
        audit("engine_halted", "\(failure.code.rawValue): \(failure.message)")
        if !state.optedOut, !state.humanActive {
            sendSystem("apology", purpose: .apology)
            state.humanActive = true
            state.humanSince = now
            effects.append(.handover(handoverRecord(reason: failure.message, origin: failure.origin ?? "engine")))
            schedule(TimerSpec(sessionID: state.id, kind: .handoverReturn, token: state.waitToken,
                               dueAt: now + program.tenant.autoReturnMS))
        }
        return state
    }

    // MARK: - Small helpers shared by the handlers

    mutating func audit(_ type: String, _ detail: String) {
        effects.append(.audit(AuditRecord(type: type, sessionID: state.id, detail: detail, at: now)))
    }

    mutating func schedule(_ timer: TimerSpec) {
        state.timers[timer.id] = timer
        effects.append(.schedule(timer))
    }

    mutating func cancelTimers(where predicate: (TimerSpec) -> Bool) {
        guard !state.timers.isEmpty else { return }
        // Collect the matches, then sort only those: the effects' order must not depend on the
        // dictionary's per-process iteration order.
        if state.timers.count == 1, let (id, timer) = state.timers.first {
            // One pending timer (the usual case): no list of matches to build and sort.
            if predicate(timer) {
                state.timers = [:]
                effects.append(.cancel(timerID: id))
            }
            return
        }
        var ids: [String] = []
        for (id, timer) in state.timers where predicate(timer) { ids.append(id) }
        if ids.isEmpty { return }
        if ids.count > 1 { ids.sort() }
        if ids.count == state.timers.count {
            // All of them (usually the one wait timeout): no copy of the table to remove them from.
            state.timers = [:]
        } else {
            for id in ids { state.timers[id] = nil }
        }
        for id in ids { effects.append(.cancel(timerID: id)) }
    }

    /// Cancels the current wait's timeout and nudges.
    mutating func cancelWaitTimers() {
        let token = state.waitToken
        cancelTimers { $0.token == token && $0.kind != .handoverReturn }
    }

    func handoverRecord(reason: String, origin: String) -> Handover {
        var parts = ["Entry: \(state.entry)"]
        if let clid = state.attribution["ctwa_clid"] { parts.append("ctwa_clid \(clid)") }
        if let step = state.step { parts.append("at step \(step)") }
        let answers = state.answers.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        parts.append(answers.isEmpty ? "no answers yet" : "answers: " + answers.joined(separator: ", "))
        if let last = state.lastInboundText { parts.append("last message: \"\(last.prefix(200))\"") }
        return Handover(sessionID: state.id, subscriberID: state.subscriberID, origin: origin, reason: reason,
                        summary: parts.joined(separator: "; "), step: state.step, answers: state.answers,
                        lastMessage: state.lastInboundText, attribution: state.attribution)
    }
}
