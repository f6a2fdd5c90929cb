extension Turn {
    /// A wa.send node: never after opt-out or while a human is active; free-form inside the
    /// 24-hour window, the node's template outside it; clarify/re-prompt sends count against the
    /// step's limit.
    mutating func sendNode(_ spec: SendSpec, origin: String) throws(EngineFailure) {
        let node = CompiledNode(id: origin, origin: origin, kind: .start(next: nil))
        try send(spec, node: node)
    }

    /// A wa.send node reached by the interpreter (the node itself: sending reads only its origin).
    mutating func sendNode(_ spec: SendSpec, node: CompiledNode) throws(EngineFailure) {
        try send(spec, node: node)
    }

    /// Re-sends a prompt (after `start`): same rules as the node.
    mutating func send(_ spec: SendSpec, origin: String) -> Result<Void, EngineFailure> {
        do throws(EngineFailure) {
            try sendNode(spec, origin: origin)
            return .success(())
        } catch {
            return .failure(error)
        }
    }

    private mutating func send(_ spec: SendSpec, node: CompiledNode) throws(EngineFailure) {
        var step: CompiledStep?
        if let ref = spec.step {
            let id = try resolveStep(ref, node)
            guard let found = stepIndex(id).map({ program.manifest.steps[$0] }) else {
                throw EngineFailure(code: .unknownStep, message: "\(node.origin): no manifest step '\(id)'", origin: node.origin)
            }
            step = found
            state.step = id
        }
        if state.optedOut || state.humanActive {
            audit("send_suppressed", "\(node.origin): \(state.optedOut ? "opted out" : "a human is active")")
            return
        }
        if let step, spec.say != .question, !resending {
            let count = (state.steps[step.id]?.retries ?? 0) + 1
            let limit = step.maxReprompts ?? program.tenant.maxReprompts
            guard count <= limit else {
                audit("reprompt_limit", "\(node.origin): \(step.id) would be re-prompted a \(count). time (limit \(limit))")
                state.escalations += 1
                throw EngineFailure(code: .repromptLimit,
                                    message: "\(step.id) was re-prompted \(limit) times; escalating instead of asking again",
                                    origin: node.origin)
            }
            setRetries(step.id, count)
        }
        let fallback: MessageContent.TemplateMessage? = try spec.template.map { t throws(EngineFailure) in
            switch renderTemplate(t, compiled: spec.templateParams) {
            case .success(let message): return message
            case .failure(let failure): throw failure.at(node.origin)
            }
        }
        if state.windowOpen(at: now) {
            sendContent(try freeForm(spec, step: step, node), origin: node.origin, purpose: resending ? .resume : .flow,
                        fallback: fallback, step: step?.id)
        } else if let fallback {
            sendContent(.template(fallback), origin: node.origin, purpose: resending ? .resume : .flow, fallback: nil,
                        step: step?.id, windowOpen: false)
        } else {
            audit("send_suppressed", "\(node.origin): outside the 24-hour window and the node has no template")
            return
        }
        state.promptNode = node.origin
    }

    private mutating func freeForm(_ spec: SendSpec, step: CompiledStep?, _ node: CompiledNode) throws(EngineFailure) -> MessageContent {
        let header = try spec.header.map { t throws(EngineFailure) in try renderLocalized(t, node) }
        let footer = try spec.footer.map { t throws(EngineFailure) in try renderLocalized(t, node) }
        var body = ""
        if let text = spec.text {
            body = try renderLocalized(text, node)
        } else if let step {
            let text: LocalizedTemplate? = switch spec.say {
            case .question: step.question
            case .clarify: step.clarify ?? step.question
            case .reprompt: step.reprompt ?? step.question
            }
            body = try text.map { t throws(EngineFailure) in try renderLocalized(t, node) } ?? ""
        }
        if let step, !step.options.isEmpty, step.kind == "buttons" || step.kind == "list" {
            if program.directReads, let choices = step.parts.choices(for: state.language) {
                // Plain titles: the rows built at compile time.
                if let buttons = choices.buttons { return .buttons(body: body, buttons: buttons, header: header, footer: footer) }
                return .list(body: body, button: choices.listButton, sections: choices.sections, header: header, footer: footer)
            }
            var choices: [MessageContent.Row] = []
            choices.reserveCapacity(step.options.count)
            for option in step.options {
                let title = try option.titles.map { t throws(EngineFailure) in try renderLocalized(t, node) } ?? option.id
                let description = try option.description.map { t throws(EngineFailure) in try renderLocalized(t, node) }
                choices.append(MessageContent.Row(id: option.id, title: title, description: description))
            }
            if step.kind == "buttons", choices.count <= 3 {
                return .buttons(body: body, buttons: choices.map { .init(id: $0.id, title: $0.title) }, header: header, footer: footer)
            }
            let button = try step.listButton.map { t throws(EngineFailure) in try renderLocalized(t, node) } ?? "Choose"
            return .list(body: body, button: button, sections: [.init(title: nil, rows: choices)], header: header, footer: footer)
        }
        if !spec.buttons.isEmpty {
            var buttons: [MessageContent.Button] = []
            for button in spec.buttons { buttons.append(.init(id: button.id, title: try renderLocalized(button.title, node))) }
            return .buttons(body: body, buttons: buttons, header: header, footer: footer)
        }
        if !spec.sections.isEmpty {
            var sections: [MessageContent.Section] = []
            for section in spec.sections {
                var rows: [MessageContent.Row] = []
                for row in section.rows {
                    rows.append(.init(id: row.id, title: try renderLocalized(row.title, node),
                                      description: try row.description.map { t throws(EngineFailure) in try renderLocalized(t, node) }))
                }
                sections.append(.init(title: try section.title.map { t throws(EngineFailure) in try renderLocalized(t, node) }, rows: rows))
            }
            let button = try spec.listButton.map { t throws(EngineFailure) in try renderLocalized(t, node) } ?? "Choose"
            return .list(body: body, button: button, sections: sections, header: header, footer: footer)
        }
        return .text(body)
    }

    mutating func sendContent(_ content: MessageContent, origin: String, purpose: OutboundMessage.Purpose,
                              fallback: MessageContent.TemplateMessage?, step: String? = nil, windowOpen: Bool = true) {
        if state.optedOut {
            audit("send_suppressed", "\(origin): opted out")
            return
        }
        let message = OutboundMessage(id: nextMessageID(), sessionID: state.id, subscriberID: state.subscriberID,
                                      phoneHash: state.phoneHash, origin: origin, purpose: purpose, content: content,
                                      windowOpen: windowOpen, step: step, fallbackTemplate: fallback)
        effects.append(.send(message))
        state.lastOutbound = SessionState.LastOutbound(message: message, state: nil, stateAt: nil, sentAt: now, failures: 0)
    }

    /// A tenant message (stopped, paused, resumed, operator, apology) in the lead's language.
    mutating func sendSystem(_ key: String, purpose: OutboundMessage.Purpose) {
        guard let text = program.tenant.messages[key] else { return }
        // SPEC §8: while a human is active the bot stays silent (it still applies pause / start);
        // only an opt-out is confirmed.
        if state.humanActive, key != "stopped" {
            audit("send_suppressed", "messages.\(key): a human is active")
            return
        }
        guard state.windowOpen(at: now) else {
            audit("send_suppressed", "messages.\(key): outside the 24-hour window")
            return
        }
        switch renderText(text) {
        case .success(let body):
            sendContent(.text(body), origin: "messages/\(key)", purpose: purpose, fallback: nil)
        case .failure(let failure):
            audit("send_suppressed", "messages.\(key): \(failure.message)")
        }
    }

    // MARK: - Emissions

    mutating func emitNode(_ spec: EmitSpec, _ node: CompiledNode) throws(EngineFailure) {
        var step: CompiledStep?
        if let ref = spec.step {
            let id = try resolveStep(ref, node)
            guard let found = stepIndex(id).map({ program.manifest.steps[$0] }) else {
                throw EngineFailure(code: .unknownStep, message: "\(node.origin): no manifest step '\(id)'", origin: node.origin)
            }
            step = found
        }
        let event = try spec.event.map { t throws(EngineFailure) in try render(t, spec.compiledEvent, node) } ?? step?.event ?? node.id.uppercased()
        // The step's record read once (answer, raw text, confidence).
        let record = step.flatMap { state.steps[$0.id] }
        let answer = record?.answer
        let answerRaw = record?.raw
        let key: String
        if let template = spec.key {
            key = try render(template, spec.compiledKey, node)
        } else if let step {
            key = "\(state.id)-q\(step.number)-\(ExprInterpreter.hash(answerRaw ?? answer ?? ""))"
        } else {
            key = "\(state.id)-\(event.lowercased())"
        }
        var add: [String]
        var fields: [String: String] = [:]
        var note = try spec.crmNote.map { t throws(EngineFailure) in try render(t, spec.compiledNote, node) }
        if let step {
            let optionIndex = answer.flatMap { answer in step.options.firstIndex { $0.id == answer } }
            if spec.audiencesAdd.isEmpty, program.directReads {
                // The step's audience and the option's segments, joined at compile time.
                add = step.parts.audiences[optionIndex ?? step.options.count]
            } else {
                // The step's audience, the node's, then the chosen option's segments: built in one array.
                let segments = optionIndex.map { step.options[$0].segments } ?? []
                add = []
                add.reserveCapacity((step.audience == nil ? 0 : 1) + spec.audiencesAdd.count + segments.count)
                if let audience = step.audience { add.append(audience) }
                add += spec.audiencesAdd
                add += segments
            }
            if let field = step.crmField, let answer {
                if let optionIndex, program.directReads, let prebuilt = step.parts.fields(for: state.language) {
                    // The option's field built at compile time (`fields` is still empty here).
                    fields = prebuilt[optionIndex]
                } else {
                    fields[field] = optionIndex.flatMap { step.options[$0].titles?.template(for: state.language) }
                        .map { literalText($0) } ?? answer
                }
            }
            if note == nil, let answer {
                note = Self.answerNote(step: step.id, answer: answer, confidence: record?.confidence)
            }
        } else {
            add = spec.audiencesAdd
        }
        for (field, template) in spec.crmFields { fields[field] = try render(template, node) }
        var data: [String: String] = [:]
        for (field, template) in spec.data { data[field] = try render(template, node) }
        var value: Double?
        if let expr = spec.value {
            switch try eval(expr, node) {
            case .int(let i): value = Double(i)
            case .number(let d): value = d
            case .null: value = nil
            case let other:
                throw EngineFailure(code: .evaluation, message: "\(node.origin): value is \(other.typeName), not a number", origin: node.origin)
            }
        }
        // The key first, then the emission built straight into its effect (building it first and
        // moving it in copied all its fields).
        guard claimEmissionKey(key, event: event) else { return }
        effects.append(.emit(Emission(key: key, event: event, stream: spec.stream, sinks: spec.sinks, sessionID: state.id,
                      subscriberID: state.subscriberID, phoneHash: state.phoneHash, eventTime: now, origin: node.origin,
                      step: step?.id, answer: answer, answerRaw: answerRaw, confidence: record?.confidence,
                      value: value, currency: spec.currency, data: data, audiencesAdd: add,
                      audiencesRemove: spec.audiencesRemove, crmFields: fields, crmTags: spec.crmTags, crmNote: note,
                      crmStage: spec.crmStage, attribution: state.attribution, entry: state.entry)))
    }

    /// `{step}: {answer} (confidence {c})`, the confidence rounded to two decimals ("?" when unknown).
    static func answerNote(step: String, answer: String, confidence: Double?) -> String {
        let rendered = confidence.map { c in
            let hundredths = (c * 100).rounded()
            // 0...1 in hundredths (every classifier's range): rendered once, at first use.
            if hundredths >= 0, hundredths <= 100 { return hundredthsText[Int(hundredths)] }
            return Value.render(number: hundredths / 100)
        } ?? "?"
        var note = String()
        note.reserveCapacity(step.utf8.count + answer.utf8.count + rendered.utf8.count + 16)
        note += step
        note += ": "
        note += answer
        note += " (confidence "
        note += rendered
        note += ")"
        return note
    }

    /// `Value.render(number: k / 100)` for k in 0...100.
    static let hundredthsText: [String] = (0...100).map { Value.render(number: Double($0) / 100) }

    /// Queues an emission once per idempotency key for the session's lifetime.
    mutating func emit(_ emission: __owned Emission) {
        guard claimEmissionKey(emission.key, event: emission.event) else { return }
        effects.append(.emit(emission))
    }

    /// Records an emission's idempotency key; false (and an audit line) if the session already
    /// emitted it.
    mutating func claimEmissionKey(_ key: String, event: String) -> Bool {
        guard state.emittedKeys.insert(key).inserted else {
            // (not inserted: nothing to revert)
            audit("emit_duplicate", "\(event) with key \(key) was already emitted; skipped")
            return false
        }
        log(.emitted(key))
        return true
    }
}
