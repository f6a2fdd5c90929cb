extension Turn {
    /// Runs from `node` until the flow waits, ends, hands over, or needs a classifier.
    mutating func run(flow: Int, node: Int) -> Result<Step, EngineFailure> {
        do throws(EngineFailure) {
            try execute(flow: flow, node: node)
            return .success(.changed)
        } catch {
            return .failure(error)
        }
    }

    mutating func enterWait(flow: Int, node: Int) -> Result<Step, EngineFailure> {
        guard case .wait(let wait) = program.flows[flow].nodes[node].kind else { return .success(.changed) }
        beginWait(wait)
        return .success(.changed)
    }

    private mutating func execute(flow startFlow: Int, node startNode: Int) throws(EngineFailure) {
        var f = startFlow, n = startNode
        state.status = .waiting
        // The node the top frame is at, written into the frame once, when the run stops (or before a
        // call pushes a frame over it), instead of at every node: nothing reads the top frame's node
        // while the nodes run, and a failed run is rolled back.
        var at: String?
        defer { if let at { setTopNode(at) } }
        while true {
            nodesRun += 1
            let node = program.flows[f].nodes[n]
            guard nodesRun <= program.tenant.stepBudget else {
                throw EngineFailure(code: .stepBudgetExceeded,
                                    message: "one event ran \(program.tenant.stepBudget) nodes without reaching a wait (a loop?); last at \(node.origin)",
                                    origin: node.origin)
            }
            guard !state.stack.isEmpty else { throw EngineFailure(code: .missingEdge, message: "no flow is running", origin: node.origin) }
            at = node.id
            switch node.kind {
            case .start(let next):
                n = try follow(next, "next", node)
            case .condition(let branches, let otherwise):
                var target = otherwise
                for (i, branch) in branches.enumerated() where try evalBool(branch.when, node.compiled[i], node) {
                    target = branch.next
                    break
                }
                n = try follow(target, "else", node)
            case .set(let assignments, let next):
                for (i, assignment) in assignments.enumerated() {
                    let value = try eval(assignment.value, node.compiled[i], node)
                    setTopVar(assignment.name, value)
                }
                n = try follow(next, "next", node)
            case .send(let spec):
                try sendNode(spec, node: node)
                n = try follow(spec.next, "next", node)
            case .emit(let spec):
                try emitNode(spec, node)
                n = try follow(spec.next, "next", node)
            case .classify(let spec):
                guard let target = try classify(spec, node) else { return }
                n = target
            case .wait(let wait):
                beginWait(wait)
                return
            case .handover(let reason, let message, let next):
                try handoverNode(reason: reason, message: message, hasNext: next != nil, node)
                return
            case .end(let outcome):
                at = nil
                popFrame()
                guard let caller = state.stack.last else {
                    state.status = .ended
                    state.outcome = outcome
                    cancelTimers { _ in true }
                    audit("session_ended", "outcome \(outcome)")
                    return
                }
                guard let cf = program.flowIndex[caller.flow], let cn = program.flows[cf].index[caller.node],
                      case .call(_, let on, let fallback) = program.flows[cf].nodes[cn].kind else {
                    throw EngineFailure(code: .missingEdge, message: "the caller of \(node.origin) is not at a call node", origin: node.origin)
                }
                let callNode = program.flows[cf].nodes[cn]
                f = cf
                n = try follow(on[outcome] ?? fallback, "on.\(outcome)", callNode)
            case .call(let callee, _, _):
                guard state.stack.count < 16 else {
                    throw EngineFailure(code: .stepBudgetExceeded, message: "calls nest deeper than 16 flows", origin: node.origin)
                }
                let flow = program.flows[callee]
                setTopNode(node.id)
                at = nil
                pushFrame(SessionState.Frame(flow: flow.name, node: flow.nodes[flow.start].id, vars: flow.defaults))
                f = callee
                n = flow.start
            }
        }
    }

    private func follow(_ target: Int?, _ edge: String, _ node: CompiledNode) throws(EngineFailure) -> Int {
        guard let target else {
            throw EngineFailure(code: .missingEdge, message: "\(node.origin) has no `\(edge)` edge to follow", origin: node.origin)
        }
        return target
    }

    // MARK: - Waits and handovers

    mutating func beginWait(_ wait: WaitSpec) {
        state.waitToken += 1
        state.nudges = 0
        state.waitingSince = now
        state.status = .waiting
        if let timeout = wait.timeoutMS {
            schedule(TimerSpec(sessionID: state.id, kind: .timeout, token: state.waitToken, dueAt: now + timeout))
        }
        for (i, nudge) in wait.nudges.enumerated() where nudge.when == .abandoned {
            schedule(TimerSpec(sessionID: state.id, kind: .nudge, token: state.waitToken, index: i, dueAt: now + nudge.afterMS))
        }
    }

    private mutating func handoverNode(reason: Template?, message: LocalizedTemplate?, hasNext: Bool,
                                       _ node: CompiledNode) throws(EngineFailure) {
        let why = try reason.map { t throws(EngineFailure) in try render(t, node) } ?? "Handover at \(node.origin)"
        if let message {
            let body = try renderLocalized(message, node)
            sendContent(.text(body), origin: node.origin, purpose: .handover, fallback: nil)
        }
        state.waitToken += 1
        state.status = .waiting
        beginHuman(reason: why, origin: node.origin, countsAsEscalation: true)
        _ = checkBreaker()
    }

    /// SPEC §3 guard: after `breaker_escalations` escalations in a row the session stops.
    mutating func checkBreaker() -> Result<Step, EngineFailure> {
        let limit = program.tenant.breakerEscalations
        guard state.escalations >= limit, state.status != .halted else { return .success(.changed) }
        state.status = .halted
        state.haltReason = "circuit breaker: \(state.escalations) escalations in a row"
        effects.append(.error(EngineFailure(code: .breakerOpen, message: state.haltReason ?? "", origin: nil)))
        audit("breaker_open", "\(state.escalations) escalations in a row (limit \(limit)); the bot stays silent until an operator closes")
        return .success(.changed)
    }

    // MARK: - Classification

    private mutating func classify(_ spec: ClassifySpec, _ node: CompiledNode) throws(EngineFailure) -> Int? {
        let stepID = try resolveStep(spec.step, node)
        guard let stepIndex = self.stepIndex(stepID) else {
            throw EngineFailure(code: .unknownStep, message: "\(node.origin): no manifest step '\(stepID)'", origin: node.origin)
        }
        let step = program.manifest.steps[stepIndex]
        state.step = stepID
        let input = try eval(spec.input, spec.compiledInput, node).renderedText
        let result: Classification
        if let provided, !providedUsed {
            providedUsed = true
            result = provided
        } else {
            let rules = RulesClassifier.classify(program.manifest.rules[stepIndex], text: input, replyID: message?.replyID)
            let confident = rules.outcome(valid: program.tenant.validThreshold, noise: program.tenant.noiseThreshold) == .valid
                && (spec.mode != "llm" || rules.confidence >= 1.0)
            if spec.mode == "rules" || confident || TextNormalizer.normalize(input).isEmpty || providedUsed {
                result = rules
            } else {
                suspended = Suspension(classifyRequest(step, input: input, rules: rules, mode: spec.mode))
                return nil
            }
        }
        classification = result
        let outcome = result.outcome(valid: program.tenant.validThreshold, noise: program.tenant.noiseThreshold)
        if outcome == .valid, let answer = result.answer {
            recordAnswer(stepID, answer: answer, raw: input, confidence: result.confidence)
            state.escalations = 0
        }
        let target: Int? = switch outcome {
        case .valid: spec.valid
        case .ambiguous: spec.ambiguous
        case .noise: spec.noise
        case .offscript: spec.offscript ?? spec.ambiguous
        case .error: spec.error ?? spec.ambiguous
        }
        return try follow(target, outcome.rawValue, node)
    }

    func classifyRequest(_ step: CompiledStep, input: String, rules: Classification, mode: String) -> ClassifyRequest {
        let language = state.language
        let question = step.question?.template(for: language).map { literalText($0) } ?? ""
        let options = step.options.map { option in
            ClassifyRequest.Option(id: option.id, titles: option.titleTexts, synonyms: option.synonyms,
                                   description: option.description?.template(for: language).map { literalText($0) },
                                   min: option.min, max: option.max)
        }
        return ClassifyRequest(tenant: program.tenant.id, sessionID: state.id, stepID: step.id, kind: step.kind,
                               question: question, language: language, options: options, examples: step.examples,
                               patterns: step.patterns, input: input, replyID: message?.replyID, rules: rules, mode: mode)
    }

    func literalText(_ template: Template) -> String { Self.literalText(template) }

    /// A template's text with its interpolations written as `${expr}` (for classifiers and CRM fields).
    static func literalText(_ template: Template) -> String {
        if template.parts.count == 1, case .literal(let text) = template.parts[0] { return text }
        return template.parts.map { part in
            switch part {
            case .literal(let text): text
            case .expr(let expr, _): "${\(expr)}"
            }
        }.joined()
    }

    mutating func resolveStep(_ ref: StepRef, _ node: CompiledNode) throws(EngineFailure) -> String {
        switch ref {
        case .fixed(let id): return id
        case .dynamic(let template): return try render(template, node)
        case .variable(let name, let template):
            let value = program.directReads ? cachedTopVar(name) : frameVar(name)
            if case .string(let id)? = value, id.utf8.count < 1_024 { return id }
            return try render(template, node)
        }
    }

    // MARK: - Expressions

    /// Runs `body` with a context whose resolver reads this turn in place (no copy of the state,
    /// program or message per expression); the context must not outlive `body`.
    ///
    /// `mutating` only to reach the turn by its address: a non-mutating `withUnsafePointer(to: self)`
    /// copied the whole turn (about a kilobyte, with a retain per field) for every expression.
    /// Nothing writes through the pointer.
    mutating func withContext<R>(_ body: (EvaluationContext) throws(EvaluationError) -> R) throws(EvaluationError) -> R {
        let now = self.now
        return try withUnsafeMutablePointer(to: &self) { (turn) throws(EvaluationError) -> R in
            try body(EvaluationContext(resolver: TurnResolver(turn: UnsafePointer(turn)), now: now))
        }
    }

    mutating func eval(_ expr: Expr, _ node: CompiledNode) throws(EngineFailure) -> Value {
        do {
            return try withContext { (context) throws(EvaluationError) in try Evaluator.evaluate(expr, in: context) }
        } catch {
            throw EngineFailure(code: .evaluation, message: "\(node.origin): \(error.message) in `\(expr)`", origin: node.origin)
        }
    }

    /// `expr`'s value: by direct reads when it is compiled (`TurnExpr`), else by the interpreter.
    mutating func eval(_ expr: Expr, _ compiled: TurnExpr?, _ node: CompiledNode) throws(EngineFailure) -> Value {
        if let compiled, program.directReads, let value = value(of: compiled) { return value }
        return try eval(expr, node)
    }

    mutating func evalBool(_ expr: Expr, _ compiled: TurnExpr?, _ node: CompiledNode) throws(EngineFailure) -> Bool {
        let value = try eval(expr, compiled, node)
        guard case .bool(let b) = value else {
            throw EngineFailure(code: .evaluation, message: "\(node.origin): `\(expr)` is \(value.typeName), not bool", origin: node.origin)
        }
        return b
    }

    /// `template` rendered: by direct reads when it is compiled (`TurnTemplate`), else by the interpreter.
    mutating func render(_ template: Template, _ compiled: TurnTemplate?, _ node: CompiledNode) throws(EngineFailure) -> String {
        if let compiled, program.directReads, let text = render(compiled) { return text }
        return try render(template, node)
    }

    mutating func render(_ template: Template, _ node: CompiledNode) throws(EngineFailure) -> String {
        if template.parts.count == 1, case .literal(let text) = template.parts[0] { return text }
        if template.parts.isEmpty { return "" }
        do {
            return try withContext { (context) throws(EvaluationError) in try Evaluator.render(template, in: context) }
        } catch {
            throw EngineFailure(code: .evaluation, message: "\(node.origin): \(error.message)", origin: node.origin)
        }
    }

    mutating func renderLocalized(_ text: LocalizedTemplate, _ node: CompiledNode) throws(EngineFailure) -> String {
        guard let i = text.variant(for: state.language) else { return "" }
        return try render(text.variants[i].template, text.compiled[i], node)
    }

    /// The top frame's variable `name` for direct reads: from `varCache` when it holds it.
    func topVar(_ name: String) -> Value? {
        if let cached = varCache, cached.name == name { return cached.value }
        return frameVar(name)
    }

    /// The top frame's variable `name` from the frame itself (read in place: `stack.last` copied
    /// the frame) — what the interpreter reads, so that without direct reads (the reference the
    /// differential test compares against) nothing goes through `varCache`.
    func frameVar(_ name: String) -> Value? {
        state.stack.withUnsafeBufferPointer { frames in frames.isEmpty ? nil : frames[frames.count - 1].vars[name] }
    }

    /// `topVar(name)`, kept in `varCache` for the reads that follow.
    mutating func cachedTopVar(_ name: String) -> Value? {
        if let cached = varCache, cached.name == name { return cached.value }
        let value = frameVar(name)
        if let value { varCache = (name, value) }
        return value
    }

    mutating func renderText(_ text: LocalizedTemplate) -> Result<String, EngineFailure> {
        guard let i = text.variant(for: state.language) else { return .success("") }
        let template = text.variants[i].template
        if template.parts.count == 1, case .literal(let literal) = template.parts[0] { return .success(literal) }
        if let compiled = text.compiled[i], program.directReads, let rendered = render(compiled) { return .success(rendered) }
        do {
            return .success(try withContext { (context) throws(EvaluationError) in try Evaluator.render(template, in: context) })
        } catch {
            return .failure(EngineFailure(code: .evaluation, message: error.message))
        }
    }

    mutating func renderTemplate(_ spec: TemplateSpec, compiled: [TurnTemplate?] = []) -> Result<MessageContent.TemplateMessage, EngineFailure> {
        var params: [String] = []
        params.reserveCapacity(spec.params.count)
        for (i, param) in spec.params.enumerated() {
            if i < compiled.count, let fast = compiled[i], program.directReads, let text = render(fast) {
                params.append(text)
                continue
            }
            do {
                params.append(try withContext { (context) throws(EvaluationError) in try Evaluator.render(param, in: context) })
            } catch {
                return .failure(EngineFailure(code: .evaluation, message: "template \(spec.name): \(error.message)"))
            }
        }
        return .success(MessageContent.TemplateMessage(name: spec.name, language: spec.language, params: params))
    }
}
