extension Turn {
    /// Delivery statuses drive nudges (SPEC §4): delivered-but-unread and read-without-reply timers,
    /// and resends of failed messages. Statuses may arrive out of order: a state never moves back.
    mutating func status(_ status: DeliveryStatus) -> Result<Step, EngineFailure> {
        guard var last = state.lastOutbound, last.message.id == status.messageID else { return .success(.unchanged) }
        if status.state == .failed {
            return failed(status, last: last)
        }
        if let current = last.state, current >= status.state { return .success(.unchanged) }
        last.state = status.state
        last.stateAt = status.at
        state.lastOutbound = last
        guard state.status == .waiting, !state.humanActive, let (_, node) = topNode(), case .wait(let wait) = node.kind,
              wait.waitFor == .message, !wait.nudges.isEmpty else { return .success(.changed) }
        let token = state.waitToken
        if status.state == .read {
            // Read: the delivered-but-unread reminder no longer applies.
            cancelTimers { timer in
                timer.token == token && timer.kind == .nudge && wait.nudges.indices.contains(timer.index)
                    && wait.nudges[timer.index].when == .delivered
            }
        }
        let trigger: WaitSpec.Nudge.When = switch status.state {
        case .sent: .sent
        case .delivered: .delivered
        case .read, .failed: .read
        }
        for (i, nudge) in wait.nudges.enumerated() where nudge.when == trigger {
            // A status reported late (webhook retries) would put the nudge in the past: it is due now.
            schedule(TimerSpec(sessionID: state.id, kind: .nudge, token: token, index: i,
                               dueAt: max(now, status.at + nudge.afterMS)))
        }
        return .success(.changed)
    }

    /// A message the provider could not deliver: outside the window (131047) switch to the template;
    /// otherwise resend, and after the 3rd failure hand the lead to a human.
    mutating func failed(_ status: DeliveryStatus, last: SessionState.LastOutbound) -> Result<Step, EngineFailure> {
        var last = last
        last.failures += 1
        last.state = .failed
        last.stateAt = status.at
        state.lastOutbound = last
        let reason = "\(status.errorCode.map { "error \($0)" } ?? "failed")\(status.errorTitle.map { ": \($0)" } ?? "")"
        audit("delivery_failed", "message \(status.messageID) attempt \(last.failures): \(reason)")
        if state.optedOut || state.humanActive { return .success(.changed) }
        if status.errorCode == 131047, let template = last.message.fallbackTemplate, !isTemplate(last.message.content) {
            resend(last, content: .template(template), windowOpen: false)
            return .success(.changed)
        }
        guard last.failures < 3 else {
            effects.append(.error(EngineFailure(code: .deliveryFailed, message: "message \(status.messageID) failed 3 times (\(reason))",
                                                origin: last.message.origin)))
            cancelWaitTimers()
            beginHuman(reason: "Delivery failed 3 times (\(reason))", origin: last.message.origin, countsAsEscalation: true)
            return checkBreaker()
        }
        resend(last, content: last.message.content, windowOpen: last.message.windowOpen)
        return .success(.changed)
    }

    func isTemplate(_ content: MessageContent) -> Bool {
        if case .template = content { return true }
        return false
    }

    mutating func resend(_ last: SessionState.LastOutbound, content: MessageContent, windowOpen: Bool) {
        var message = last.message
        message.id = nextMessageID()
        message.replaces = last.message.id
        message.purpose = .retry
        message.content = content
        message.windowOpen = windowOpen
        effects.append(.send(message))
        state.lastOutbound = SessionState.LastOutbound(message: message, state: nil, stateAt: nil, sentAt: now,
                                                       failures: last.failures)
    }

    mutating func nextMessageID() -> String {
        state.messageSeq += 1
        // `{id}-m{n}` in one buffer of the final size.
        var id = String()
        id.reserveCapacity(state.id.utf8.count + 22)
        id += state.id
        id += "-m"
        id += String(state.messageSeq)
        return id
    }

    // MARK: - Timers

    mutating func timer(_ timer: TimerSpec) -> Result<Step, EngineFailure> {
        // A timer the session no longer holds (cancelled, superseded, already fired) is stale.
        guard state.timers[timer.id] == timer else { return .success(.unchanged) }
        removeTimer(timer.id)
        switch timer.kind {
        case .handoverReturn:
            guard state.humanActive || state.status == .halted else { return .success(.changed) }
            return endHuman(detail: "auto-return after \(program.tenant.autoReturnHours) h")
        case .timeout:
            guard timer.token == state.waitToken, state.status == .waiting, let (flow, node) = topNode(),
                  case .wait(let wait) = node.kind, let target = wait.onTimeout else { return .success(.changed) }
            if state.optedOut || state.humanActive { return .success(.changed) }
            if let until = state.snoozedUntil, now < until {
                // Paused: the step's clock waits for the pause to end.
                schedule(TimerSpec(sessionID: state.id, kind: .timeout, token: timer.token, dueAt: until))
                audit("timeout_deferred", "paused until \(Value.iso8601(until))")
                return .success(.changed)
            }
            cancelWaitTimers()
            return run(flow: flow, node: target)
        case .nudge:
            return nudge(timer)
        }
    }

    /// SPEC §4: before a nudge — not opted out, not snoozed, no human, ≤ limit per case, and a
    /// template outside the 24-hour window.
    mutating func nudge(_ timer: TimerSpec) -> Result<Step, EngineFailure> {
        guard timer.token == state.waitToken, state.status == .waiting, let (_, node) = topNode(),
              case .wait(let wait) = node.kind, wait.nudges.indices.contains(timer.index) else { return .success(.changed) }
        let nudge = wait.nudges[timer.index]
        let limit = wait.maxNudges ?? program.tenant.maxNudges
        let refusal: String? = if state.optedOut { "opted out" }
            else if state.isSnoozed(at: now) { "snoozed" }
            else if state.humanActive { "a human is active" }
            else if state.nudges >= limit { "limit of \(limit) nudges reached" }
            else { nil }
        if let refusal {
            audit("nudge_suppressed", "\(node.origin) nudge \(timer.index + 1): \(refusal)")
            return .success(.changed)
        }
        let content: MessageContent
        let windowOpen = state.windowOpen(at: now)
        if windowOpen, let text = nudge.text {
            switch renderText(text) {
            case .success(let body): content = .text(body)
            case .failure(let failure): return .failure(failure.at(node.origin))
            }
        } else if let template = nudge.template {
            switch renderTemplate(template) {
            case .success(let t): content = .template(t)
            case .failure(let failure): return .failure(failure.at(node.origin))
            }
        } else {
            audit("nudge_suppressed", "\(node.origin) nudge \(timer.index + 1): outside the 24-hour window and no template")
            return .success(.changed)
        }
        state.nudges += 1
        let message = OutboundMessage(id: nextMessageID(), sessionID: state.id, subscriberID: state.subscriberID,
                                      phoneHash: state.phoneHash, origin: node.origin, purpose: .nudge, content: content,
                                      windowOpen: windowOpen && !isTemplate(content), step: state.step)
        effects.append(.send(message))
        state.lastOutbound = SessionState.LastOutbound(message: message, state: nil, stateAt: nil, sentAt: now, failures: 0)
        return .success(.changed)
    }
}

extension EngineFailure {
    func at(_ origin: String) -> EngineFailure {
        var copy = self
        if copy.origin == nil { copy.origin = origin }
        return copy
    }
}
