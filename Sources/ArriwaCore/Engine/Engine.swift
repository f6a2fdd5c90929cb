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
        indirect case needsClassification(ClassifyRequest)
    }

    /// Applies one event. `classification` answers a previous `.needsClassification`.
    ///
    /// Copies the state on the turn's first write (the caller keeps its value); `apply(_:_:now:)`
    /// changes a state the caller hands over in place.
    public func handle(_ state: SessionState?, _ event: EngineEvent, now: Int64,
                       classification: Classification? = nil) -> TurnResult {
        var working = state
        switch apply(&working, event, now: now, classification: classification, original: state) {
        case .completed(let effects): return .completed(state: working, effects: effects)
        case .needsClassification(let request): return .needsClassification(request)
        }
    }

    public enum Outcome: Sendable {
        /// The turn finished: `state` now holds the new state (still nil: no session was created);
        /// persist it and the effects in one commit.
        case completed(effects: [Effect])
        /// As `TurnResult.needsClassification`; `state` is unchanged (the turn was rolled back).
        indirect case needsClassification(ClassifyRequest)
    }

    /// Applies one event to `state` in place: the same turn as `handle`, without the copy of a
    /// state nobody else holds. A turn that fails, changes nothing or suspends for a classifier
    /// reverts its writes from an undo log (`Turn.rollback`), so `state` is exactly as `handle`
    /// would have returned it.
    public func apply(_ state: inout SessionState?, _ event: EngineEvent, now: Int64,
                      classification: Classification? = nil) -> Outcome {
        apply(&state, event, now: now, classification: classification, original: nil)
    }

    /// `original`: the caller's copy of `state` (from `handle`), which a rollback returns to
    /// instead of keeping a snapshot and an undo log.
    func apply(_ state: inout SessionState?, _ event: EngineEvent, now: Int64,
               classification: Classification?, original: SessionState?) -> Outcome {
        if let current = state, current.flowVersion != program.version {
            let failure = EngineFailure(code: .versionMismatch,
                                        message: "session \(current.id) is on flow version \(current.flowVersion), this program is \(program.version)")
            return .completed(effects: [.error(failure)])
        }
        if state == nil {
            guard case .inbound = event else { return .completed(effects: []) }
        }
        var turn = Turn(program: program, now: now, provided: classification, state: state.take(), original: original)
        let result: Result<Turn.Step, EngineFailure> = switch event {
        case .inbound(let message): turn.inbound(message)
        case .status(let status): turn.status(status)
        case .timer(let fired): turn.timer(fired.timer)
        case .external(let external): turn.external(external)
        case .operatorAction(let action): turn.operatorAction(action)
        }
        let outcome = turn.finish(result)
        if turn.keepsState { state = turn.state }
        return outcome
    }
}

/// A turn suspended for a classifier: the request it hands out.
final class Suspension: Sendable {
    let request: ClassifyRequest

    init(_ request: ClassifyRequest) {
        self.request = request
    }
}

/// One turn's working set: the state being changed and the effects collected.
struct Turn: ~Copyable {
    let program: Program
    let now: Int64
    let provided: Classification?
    var state: SessionState
    var effects: [Effect] = []
    var message: InboundMessage?
    var classification: Classification?
    var providedUsed = false
    var nodesRun = 0
    /// Boxed: a `ClassifyRequest` is ~250 bytes the turn would carry (and move) inline for the
    /// rare suspension.
    var suspended: Suspension?
    /// True while `start` repeats the current prompt (not counted as a re-prompt).
    var resending = false
    /// The caller handed a state in (not a new lead's first message).
    let hadState: Bool
    /// `handle`'s copy of the caller's state: a rollback returns to it (nothing is logged).
    let original: SessionState?
    /// Collection writes are logged (the caller handed its state over to `apply`).
    var logs: Bool
    /// The non-collection fields of the caller's state, restored when the turn is rolled back.
    var snapshot: SessionState.Scalars?
    /// The collection writes of the turn, newest last, reverted in reverse by `rollback`.
    var undo: [Undo] = []
    /// Top frames (by depth) whose node the undo log already holds.
    var nodeLogged: UInt64 = 0
    /// A new session was started in this turn; `replaced` is the caller's (ended) state it replaced.
    var startedSession = false
    var replaced: SessionState?
    /// False when the caller had no state and the turn created none.
    var keepsState = true
    /// The manifest step this turn last looked up by id (a turn looks its step up three or four
    /// times: classify, emit, the router, the next question).
    var lastStep: (id: String, index: Int)?
    /// One variable of the top frame as it was last read by `resolveStep` or written (`vars.step`
    /// is read about eight times per answer, each a hash look-up otherwise). Cleared whenever the
    /// top frame may change otherwise: push, pop, rollback, a new session.
    var varCache: (name: String, value: Value)?

    /// `state`: the session's state, which the handlers change in place; a blank state when there
    /// is none yet.
    init(program: Program, now: Int64, provided: Classification?, state: SessionState?, original: SessionState?) {
        self.program = program
        self.now = now
        self.provided = provided
        self.original = original
        hadState = state != nil
        logs = state != nil && original == nil
        if let state {
            if logs {
                snapshot = state.scalars()
                undo.reserveCapacity(8)
            }
            self.state = state
        } else {
            // Replaced by the new session before anything reads or writes it.
            self.state = program.blankState
        }
        effects.reserveCapacity(8)
    }

    enum Step {
        case changed
        case unchanged
    }

    /// One collection write of the turn, with what it overwrote.
    enum Undo {
        case frameNode(depth: Int, old: String)
        case frameVar(depth: Int, name: String, old: Value?)
        case pushed
        case popped(SessionState.Frame)
        case timer(id: String, old: TimerSpec?)
        case timers([String: TimerSpec])
        case step(String, old: StepRecord?)
        case emitted(String)
    }

    /// Turns a step's outcome (or failure) into the result: a failed turn keeps none of its effects,
    /// halts the session and hands it to a human.
    mutating func finish(_ result: Result<Step, EngineFailure>) -> Engine.Outcome {
        if let request = suspended?.request {
            rollback()
            return .needsClassification(request)
        }
        switch result {
        case .success(.unchanged):
            rollback()
            return .completed(effects: effects)
        case .success(.changed):
            state.turn += 1
            return .completed(effects: effects)
        case .failure(let failure):
            halted(failure)
            return .completed(effects: effects)
        }
    }

    /// Puts `state` back to the caller's (or, for a new lead, drops it).
    mutating func rollback() {
        if startedSession {
            varCache = nil
            startedSession = false
            if let replaced {
                state = replaced
                self.replaced = nil
            } else {
                keepsState = false
            }
            return
        }
        varCache = nil
        if let original {
            state = original
            return
        }
        guard let snapshot else {
            keepsState = false
            return
        }
        while let op = undo.popLast() {
            switch op {
            case .frameNode(let depth, let old): state.stack[depth].node = old
            case .frameVar(let depth, let name, let old): state.stack[depth].vars[name] = old
            case .pushed: state.stack.removeLast()
            case .popped(let frame): state.stack.append(frame)
            case .timer(let id, let old): state.timers[id] = old
            case .timers(let old): state.timers = old
            case .step(let step, let old): state.steps[step] = old
            case .emitted(let key): state.emittedKeys.remove(key)
            }
        }
        nodeLogged = 0
        state.restore(snapshot)
    }

    mutating func halted(_ failure: EngineFailure) {
        if startedSession, replaced == nil, let message {
            // A new lead's failed first turn keeps the session as created.
            varCache = nil
            state = newSession(message, previous: nil)
        } else {
            rollback()
            keepsState = true
            if let message, hadState {
                state.lastInboundAt = max(state.lastInboundAt ?? 0, message.receivedAt)
                state.lastInboundText = message.effectiveText
            }
        }
        effects = []
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
    }

    // MARK: - Collection writes (logged for rollback)

    /// Keeps `op` for `rollback` when the turn logs (the write itself is already done).
    @inline(__always)
    mutating func log(_ op: Undo) {
        if logs { undo.append(op) }
    }

    mutating func setTopNode(_ node: String) {
        let depth = state.stack.count - 1
        if logs, depth < 64, nodeLogged & (1 << UInt64(depth)) == 0 {
            nodeLogged |= 1 << UInt64(depth)
            log(.frameNode(depth: depth, old: state.stack[depth].node))
        }
        state.stack[depth].node = node
    }

    mutating func setTopVar(_ name: String, _ value: Value) {
        let depth = state.stack.count - 1
        let old = state.stack[depth].vars.updateValue(value, forKey: name)
        log(.frameVar(depth: depth, name: name, old: old))
        // The cache keeps the variable it holds (set nodes write `retries` after `step`).
        if varCache == nil || varCache?.name == name { varCache = (name, value) }
    }

    mutating func pushFrame(_ frame: SessionState.Frame) {
        varCache = nil
        state.stack.append(frame)
        log(.pushed)
    }

    mutating func popFrame() {
        varCache = nil
        log(.popped(state.stack.removeLast()))
    }

    mutating func setRetries(_ step: String, _ count: Int) {
        let old = state.steps[step]
        var record = old ?? StepRecord()
        record.retries = count
        state.steps[step] = record
        log(.step(step, old: old))
    }

    /// A valid answer: the step's answer, raw text and confidence, and its retries back to 0 (one
    /// record written with one look-up).
    mutating func recordAnswer(_ step: String, answer: String, raw: String, confidence: Double) {
        let old = state.steps.updateValue(StepRecord(answer: answer, raw: raw, confidence: confidence, retries: 0), forKey: step)
        log(.step(step, old: old))
    }

    mutating func removeTimer(_ id: String) {
        if let old = state.timers.removeValue(forKey: id) { log(.timer(id: id, old: old)) }
    }

    mutating func removeAllTimers() {
        var old: [String: TimerSpec] = [:]
        swap(&old, &state.timers)
        log(.timers(old))
    }

    // MARK: - Small helpers shared by the handlers

    /// The manifest's index of step `id`.
    mutating func stepIndex(_ id: String) -> Int? {
        if let last = lastStep, last.id == id { return last.index }
        guard let index = program.manifest.index[id] else { return nil }
        lastStep = (id, index)
        return index
    }

    mutating func audit(_ type: String, _ detail: String) {
        effects.append(.audit(AuditRecord(type: type, sessionID: state.id, detail: detail, at: now)))
    }

    mutating func schedule(_ timer: TimerSpec) {
        log(.timer(id: timer.id, old: state.timers.updateValue(timer, forKey: timer.id)))
        effects.append(.schedule(timer))
    }

    mutating func cancelTimers(where predicate: (TimerSpec) -> Bool) {
        guard !state.timers.isEmpty else { return }
        // Collect the matches, then sort only those: the effects' order must not depend on the
        // dictionary's per-process iteration order.
        if state.timers.count == 1, let (id, timer) = state.timers.first {
            // One pending timer (the usual case): no list of matches to build and sort, and the
            // table keeps its storage for the next wait's timer.
            if predicate(timer) {
                // Emptied in place: no look-up of the id, and the storage stays for the next timer.
                state.timers.removeAll(keepingCapacity: true)
                log(.timer(id: id, old: timer))
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
            removeAllTimers()
        } else {
            for id in ids { removeTimer(id) }
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
        let answerMap = state.answers
        let answers = answerMap.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        parts.append(answers.isEmpty ? "no answers yet" : "answers: " + answers.joined(separator: ", "))
        if let last = state.lastInboundText { parts.append("last message: \"\(last.prefix(200))\"") }
        return Handover(sessionID: state.id, subscriberID: state.subscriberID, origin: origin, reason: reason,
                        summary: parts.joined(separator: "; "), step: state.step, answers: answerMap,
                        lastMessage: state.lastInboundText, attribution: state.attribution)
    }
}
