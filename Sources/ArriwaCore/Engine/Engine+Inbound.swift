extension Turn {
    /// An inbound message: starts a session, or applies code words, then resumes the flow.
    mutating func inbound(_ message: InboundMessage) -> Result<Step, EngineFailure> {
        self.message = message
        let text = message.effectiveText
        guard hadState, state.status != .ended else {
            // A new lead, or a returning lead whose last session ended: a new session.
            if hadState, state.optedOut, CodeWords.match(text, codeWords: program.tenant.codeWords)?.kind != .start {
                audit("inbound_while_opted_out", "message \(message.id) stored, nothing sent")
                return .success(.changed)
            }
            return startSession(message)
        }
        state.lastInboundAt = max(state.lastInboundAt ?? 0, message.receivedAt)
        state.lastInboundText = text
        if let last = state.lastOutbound?.state, last == .failed {
            // a failed delivery stays failed
        } else if state.lastOutbound != nil {
            // In place: copying the last message out and back retained and released all its fields.
            state.lastOutbound?.state = .read
            state.lastOutbound?.stateAt = message.receivedAt
        }

        // SPEC §2: code words on every message after the first, before any flow logic.
        if let match = CodeWords.match(text, codeWords: program.tenant.codeWords) {
            return codeWord(match.kind, durationMS: match.durationMS, text: text)
        }
        if state.optedOut {
            audit("inbound_while_opted_out", "message \(message.id) stored, nothing sent")
            return .success(.changed)
        }
        if state.humanActive {
            audit("inbound_while_human_active", "message \(message.id) stored for the operator")
            return .success(.changed)
        }
        if state.status == .halted {
            audit("inbound_while_halted", "message \(message.id) stored; \(state.haltReason ?? "halted")")
            return .success(.changed)
        }
        if state.isSnoozed(at: now) {
            state.snoozedUntil = nil
            audit("snooze_cleared", "the lead wrote during a pause")
        }
        guard let (flow, node) = topNode(), case .wait(let wait) = node.kind, wait.waitFor == .message,
              let target = wait.onMessage else {
            audit("inbound_not_expected", "message \(message.id) stored; the session is not waiting for a message")
            return .success(.changed)
        }
        cancelWaitTimers()
        return run(flow: flow, node: target)
    }

    /// Starts a new session in place of the caller's ended one (kept for a rollback), if any.
    mutating func startSession(_ message: InboundMessage) -> Result<Step, EngineFailure> {
        if hadState {
            var previous = state
            swap(&previous, &state)
            replaced = previous
            undo.removeAll()
        }
        // A rollback drops the new session (or returns to `replaced`): its writes need no log.
        logs = false
        startedSession = true
        varCache = nil
        state = newSession(message, previous: replaced)
        audit("session_started", "entry \(state.entry)" + (replaced.map { "; returning lead, previous session \($0.id)" } ?? ""))
        let flow = program.entryFlow
        return run(flow: flow, node: program.flows[flow].start)
    }

    /// A new lead's session as its first message creates it (before any node runs).
    func newSession(_ message: InboundMessage, previous: SessionState?) -> SessionState {
        let entry = EntryPoint.detect(message)
        let contact = message.contact
        let language = contact.language.flatMap { lang in
            program.tenant.languages.first { $0 == lang || lang.hasPrefix($0 + "_") || lang.hasPrefix($0 + "-") }
        } ?? previous?.language ?? program.tenant.defaultLanguage
        var state = SessionState(id: entry.sessionID(subscriberID: contact.subscriberID, at: message.receivedAt, after: previous?.id),
                                 contact: contact, tenant: program.tenant.id, flowVersion: program.version,
                                 language: language, entry: entry.kind, attribution: entry.attribution,
                                 referralRaw: message.referralRaw, startedAt: now)
        state.lastInboundAt = message.receivedAt
        state.lastInboundText = message.effectiveText
        // A qualification records an answer per manifest step and emits about one key per step,
        // plus its start and end.
        let steps = program.manifest.steps.count
        state.reserve(steps: steps, keys: steps + 2)
        let compiled = program.flows[program.entryFlow]
        // Room for the calls a flow makes, so the first `call` does not regrow the stack.
        var stack: [SessionState.Frame] = []
        stack.reserveCapacity(4)
        stack.append(SessionState.Frame(flow: compiled.name, node: compiled.nodes[compiled.start].id, vars: compiled.defaults))
        state.stack = stack
        return state
    }

    /// The flow and node the top frame is at.
    func topNode() -> (flow: Int, node: CompiledNode)? {
        // The top frame's names read in place (copying the frame retained its vars too).
        let stack = state.stack
        guard let top = stack.indices.last, let f = program.flowNumber(stack[top].flow),
              let n = program.flows[f].nodeNumber(stack[top].node) else { return nil }
        return (f, program.flows[f].nodes[n])
    }

    // MARK: - Code words

    mutating func codeWord(_ kind: TenantSettings.CodeWord, durationMS: Int64?, text: String) -> Result<Step, EngineFailure> {
        audit("keyword_interrupt", "\(kind.rawValue): \"\(text.prefix(64))\"")
        switch kind {
        case .stop:
            if state.optedOut { return .success(.changed) }
            sendSystem("stopped", purpose: .codeWord)
            state.optedOut = true
            cancelTimers { _ in true }
            if !program.tenant.audiences.isEmpty {
                emit(Emission(key: "\(state.id)-optout-\(state.turn)", event: "OPT_OUT", stream: .NOISE, sinks: ["audiences", "crm"],
                              sessionID: state.id, subscriberID: state.subscriberID, phoneHash: state.phoneHash,
                              eventTime: now, origin: "code_word/stop", audiencesRemove: program.tenant.audiences,
                              crmTags: ["opt-out"], attribution: state.attribution, entry: state.entry))
            }
        case .pause:
            let duration = min(durationMS ?? program.tenant.pauseDefaultMS, program.tenant.pauseMaxMS)
            state.snoozedUntil = now + duration
            sendSystem("paused", purpose: .codeWord)
        case .start:
            let wasStopped = state.optedOut
            state.optedOut = false
            state.snoozedUntil = nil
            sendSystem("resumed", purpose: .codeWord)
            if state.status == .waiting, !state.humanActive {
                // Continue at the current step: re-enter the wait (fresh timers) after re-sending its prompt.
                if let (flow, node) = topNode(), case .wait = node.kind {
                    if let prompt = state.promptNode, let (pf, pn) = locate(prompt), pf == flow,
                       case .send(let spec) = program.flows[pf].nodes[pn].kind {
                        // Repeating the prompt is not a new re-prompt: it does not count against the limit.
                        resending = true
                        defer { resending = false }
                        if case .failure(let failure) = send(spec, origin: prompt) { return .failure(failure) }
                    }
                    if wasStopped || state.timers.isEmpty {
                        cancelWaitTimers()
                        return enterWait(flow: flow, node: program.flows[flow].index[node.id] ?? 0)
                    }
                }
            }
        case .operator:
            if state.humanActive { return .success(.changed) }
            sendSystem("operator", purpose: .codeWord)
            cancelWaitTimers()
            beginHuman(reason: "The lead asked for an operator", origin: "code_word/operator", countsAsEscalation: false)
        }
        return .success(.changed)
    }

    mutating func beginHuman(reason: String, origin: String, countsAsEscalation: Bool) {
        state.humanActive = true
        state.humanSince = now
        effects.append(.handover(handoverRecord(reason: reason, origin: origin)))
        audit("handover", reason)
        cancelTimers { $0.kind == .handoverReturn }
        schedule(TimerSpec(sessionID: state.id, kind: .handoverReturn, token: state.waitToken,
                           dueAt: now + program.tenant.autoReturnMS))
        if countsAsEscalation { state.escalations += 1 }
    }

    func locate(_ origin: String) -> (Int, Int)? {
        guard let slash = origin.lastIndex(of: "/") else { return nil }
        let flowName = String(origin[..<slash]), nodeID = String(origin[origin.index(after: slash)...])
        guard let f = program.flowIndex[flowName], let n = program.flows[f].index[nodeID] else { return nil }
        return (f, n)
    }

    // MARK: - Operator, external events

    mutating func operatorAction(_ action: OperatorAction) -> Result<Step, EngineFailure> {
        switch action.kind {
        case .close:
            guard state.humanActive || state.status == .halted else { return .success(.unchanged) }
            return endHuman(detail: "closed by \(action.operatorID ?? "operator")")
        }
    }

    /// The bot takes over again: after an operator's close or auto_return_hours.
    mutating func endHuman(detail: String) -> Result<Step, EngineFailure> {
        state.humanActive = false
        state.humanSince = nil
        cancelTimers { $0.kind == .handoverReturn }
        audit("handover_closed", detail)
        if state.status == .halted {
            state.status = .waiting
            state.haltReason = nil
            state.escalations = 0
        }
        guard state.status == .waiting, let (flow, node) = topNode() else { return .success(.changed) }
        switch node.kind {
        case .handover(_, _, let next):
            guard let next else {
                state.status = .ended
                state.outcome = "handover"
                cancelTimers { _ in true }
                return .success(.changed)
            }
            return run(flow: flow, node: next)
        case .wait:
            // The lead asked for a human mid-step: continue waiting at the same step with fresh timers.
            cancelWaitTimers()
            return enterWait(flow: flow, node: program.flows[flow].index[node.id] ?? 0)
        default:
            return .success(.changed)
        }
    }

    mutating func external(_ event: ExternalEvent) -> Result<Step, EngineFailure> {
        if event.name == "conversion.level" { return conversionLevel(event) }
        guard state.status == .waiting, let (flow, node) = topNode(), case .wait(let wait) = node.kind,
              wait.waitFor == .event, wait.event == nil || wait.event == event.name, let target = wait.onEvent else {
            audit("event_not_expected", "\(event.name) arrived; the session is not waiting for it")
            return .success(.changed)
        }
        cancelWaitTimers()
        return run(flow: flow, node: target)
    }

    /// A CRM conversion level reached (`conversion.level`, from the CRM webhook): emitted to CAPI
    /// once per lead (key `{session}-level-{n}`) whatever the session is doing; the flow is untouched.
    mutating func conversionLevel(_ event: ExternalEvent) -> Result<Step, EngineFailure> {
        guard case .int(let level)? = event.payload["level"], case .string(let name)? = event.payload["event"], !name.isEmpty else {
            audit("event_not_expected", "conversion.level without level and event")
            return .success(.changed)
        }
        emit(Emission(key: "\(state.id)-level-\(level)", event: name, stream: .GOOD, sinks: ["capi"], sessionID: state.id,
                      subscriberID: state.subscriberID, phoneHash: state.phoneHash, eventTime: now, origin: "crm/level_\(level)",
                      attribution: state.attribution, entry: state.entry))
        return .success(.changed)
    }
}
