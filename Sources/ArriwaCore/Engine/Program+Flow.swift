extension Program {
    static func compileFlow(_ flow: Flow, flowIndex: [String: Int]) throws(ProgramError) -> CompiledFlow {
        let name = flow.name?.value ?? flow.file
        var index: [String: Int] = [:]
        for (i, node) in flow.nodes.enumerated() where index[node.id.value] == nil { index[node.id.value] = i }

        func target(_ located: Located<String>?) throws(ProgramError) -> Int? {
            guard let located else { return nil }
            guard let i = index[located.value] else {
                throw ProgramError(message: "no node '\(located.value)' in flow \(name)", location: located.location)
            }
            return i
        }

        var nodes: [CompiledNode] = []
        for node in flow.nodes {
            let map = node.map
            let kind: CompiledNode.Kind
            switch node.type.value {
            case "start":
                kind = .start(next: try target(map.located("next")))
            case "condition":
                var branches: [(when: Expr, next: Int)] = []
                for branch in map["branches"]?.sequence?.items ?? [] {
                    guard let b = branch.mapping, let when = b["when"], let next = try target(b.located("next")) else { continue }
                    branches.append((try parseExpr(when.string ?? "", at: when.location), next))
                }
                kind = .condition(branches: branches, otherwise: try target(map.located("else")))
            case "llm.classify":
                let on = map["on"]?.mapping
                let input = map["input"]
                kind = .classify(ClassifySpec(
                    step: try stepRef(map.located("step")),
                    input: try parseExpr(input?.string ?? "message.text", at: input?.location),
                    mode: map["mode"]?.string ?? "auto",
                    valid: try target(on?.located("valid")), ambiguous: try target(on?.located("ambiguous")),
                    noise: try target(on?.located("noise")), offscript: try target(on?.located("offscript")),
                    error: try target(on?.located("error"))))
            case "wa.send":
                kind = .send(try sendSpec(map, next: try target(map.located("next"))))
            case "emit":
                kind = .emit(try emitSpec(map, next: try target(map.located("next"))))
            case "wait":
                kind = .wait(try waitSpec(map, target: target))
            case "set":
                var assignments: [(name: String, value: Expr)] = []
                for (key, value) in map.stringMap("vars") {
                    guard let scalar = value.scalar else { continue }
                    assignments.append((key.value, try parseExpr(scalar.text, at: scalar.location)))
                }
                kind = .set(assignments: assignments, next: try target(map.located("next")))
            case "end":
                kind = .end(outcome: map["outcome"]?.string ?? "done")
            case "call":
                guard let callee = map.located("flow") else {
                    throw ProgramError(message: "call node has no flow", location: node.location)
                }
                guard let calleeIndex = flowIndex[callee.value] else {
                    throw ProgramError(message: "no flow '\(callee.value)'", location: callee.location)
                }
                var on: [String: Int] = [:]
                for (key, value) in map.stringMap("on") {
                    if let t = try target(value.string.map { Located($0, at: value.location) }) { on[key.value] = t }
                }
                kind = .call(flow: calleeIndex, on: on, fallback: try target(map.located("default")))
            case "handover":
                kind = .handover(reason: try map["reason"].flatMap { node throws(ProgramError) in
                                     try parseTemplate(node.string ?? "", at: node.location) },
                                 message: try localized(LocalizedText(map["message"])),
                                 next: try target(map.located("next")))
            default:
                throw ProgramError(message: "unknown node type \(node.type.value)", location: node.type.location)
            }
            nodes.append(CompiledNode(id: node.id.value, origin: "\(name)/\(node.id.value)", kind: kind))
        }
        guard let startName = flow.start, let start = index[startName.value] else {
            throw ProgramError(message: "flow \(name) has no valid start", location: flow.start?.location ?? flow.location)
        }
        var defaults: [String: Value] = [:]
        for variable in flow.vars {
            defaults[variable.name.value] = defaultValue(variable)
        }
        return CompiledFlow(name: name, nodes: nodes, index: index, start: start, defaults: defaults)
    }

    static func defaultValue(_ variable: Variable) -> Value {
        guard let node = variable.defaultValue, let scalar = node.scalar, !scalar.isNull else {
            if case .sequence(let seq)? = variable.defaultValue { return .list(seq.items.map { .string($0.string ?? "") }) }
            switch variable.type {
            case .int?: return .int(0)
            case .number?: return .number(0)
            case .bool?: return .bool(false)
            case .list?: return .list([])
            case .map?: return .map([:])
            default: return .null
            }
        }
        switch variable.type {
        case .int?: return scalar.intValue.map { .int(Int64($0)) } ?? .null
        case .number?: return scalar.doubleValue.map { .number($0) } ?? .null
        case .bool?: return scalar.boolValue.map { .bool($0) } ?? .null
        case .duration?: return DurationSyntax.milliseconds(scalar.text).map { .duration($0) } ?? .null
        default: return .string(scalar.text)
        }
    }

    static func stepRef(_ located: Located<String>?) throws(ProgramError) -> StepRef {
        guard let located else { return .fixed("") }
        if located.value.contains("${") {
            let template = try parseTemplate(located.value, at: located.location)
            if template.parts.count == 1, case .expr(.member(.identifier("vars", _), let name, _), _) = template.parts[0] {
                return .variable(name, template)
            }
            return .dynamic(template)
        }
        return .fixed(located.value)
    }

    static func optionalStepRef(_ located: Located<String>?) throws(ProgramError) -> StepRef? {
        guard located != nil else { return nil }
        return try stepRef(located)
    }

    static func templateSpec(_ node: YNode?) throws(ProgramError) -> TemplateSpec? {
        guard let map = node?.mapping, let name = map["name"]?.string else { return nil }
        var params: [Template] = []
        for item in map["params"]?.sequence?.items ?? [] {
            params.append(try parseTemplate(item.string ?? "", at: item.location))
        }
        return TemplateSpec(name: name, language: map["language"]?.string ?? "en", params: params)
    }

    static func sendSpec(_ map: YMapping, next: Int?) throws(ProgramError) -> SendSpec {
        var buttons: [(id: String, title: LocalizedTemplate)] = []
        for item in map["buttons"]?.sequence?.items ?? [] {
            guard let b = item.mapping, let id = b["id"]?.string, let title = LocalizedText(b["title"]) else { continue }
            buttons.append((id, try localized(title)))
        }
        var sections: [(title: LocalizedTemplate?, rows: [(id: String, title: LocalizedTemplate, description: LocalizedTemplate?)])] = []
        let list = map["list"]?.mapping
        for item in list?["sections"]?.sequence?.items ?? [] {
            guard let s = item.mapping else { continue }
            var rows: [(id: String, title: LocalizedTemplate, description: LocalizedTemplate?)] = []
            for rowItem in s["rows"]?.sequence?.items ?? [] {
                guard let r = rowItem.mapping, let id = r["id"]?.string, let title = LocalizedText(r["title"]) else { continue }
                rows.append((id, try localized(title), try localized(LocalizedText(r["description"]))))
            }
            sections.append((try localized(LocalizedText(s["title"])), rows))
        }
        return SendSpec(
            text: try localized(LocalizedText(map["text"])), step: try optionalStepRef(map.located("step")),
            say: SendSpec.Say(rawValue: map["say"]?.string ?? "question") ?? .question, buttons: buttons,
            listButton: try localized(LocalizedText(list?["button"])), sections: sections,
            header: try localized(LocalizedText(map["header"])), footer: try localized(LocalizedText(map["footer"])),
            template: try templateSpec(map["template"]), next: next)
    }

    static func emitSpec(_ map: YMapping, next: Int?) throws(ProgramError) -> EmitSpec {
        func template(_ key: String, in m: YMapping?) throws(ProgramError) -> Template? {
            guard let node = m?[key], let text = node.string else { return nil }
            return try parseTemplate(text, at: node.location)
        }
        func pairs(_ node: YNode?) throws(ProgramError) -> [(key: String, value: Template)] {
            var out: [(key: String, value: Template)] = []
            for pair in node?.mapping?.pairs ?? [] {
                out.append((pair.key.text, try parseTemplate(pair.value.string ?? "", at: pair.value.location)))
            }
            return out
        }
        let audiences = map["audiences"]?.mapping
        let crm = map["crm"]?.mapping
        let sinks = map.identifiers("to").map(\.value)
        let value = map["value"]
        return EmitSpec(
            event: try template("event", in: map), step: try optionalStepRef(map.located("step")),
            stream: Emission.Stream(rawValue: map["stream"]?.string ?? "GOOD") ?? .GOOD,
            sinks: sinks.isEmpty ? ["capi"] : sinks, key: try template("key", in: map),
            value: try value.flatMap { node throws(ProgramError) in try parseExpr(node.string ?? "", at: node.location) },
            currency: map["currency"]?.string, data: try pairs(map["data"]),
            audiencesAdd: audiences?.identifiers("add").map(\.value) ?? [],
            audiencesRemove: audiences?.identifiers("remove").map(\.value) ?? [],
            crmFields: try pairs(crm?["fields"]), crmTags: crm?.identifiers("tags").map(\.value) ?? [],
            crmNote: try template("note", in: crm), crmStage: crm?["stage"]?.string, next: next)
    }

    static func waitSpec(_ map: YMapping, target: (Located<String>?) throws(ProgramError) -> Int?) throws(ProgramError) -> WaitSpec {
        var nudges: [WaitSpec.Nudge] = []
        for item in map["nudges"]?.sequence?.items ?? [] {
            guard let n = item.mapping, let after = n["after"]?.string.flatMap(DurationSyntax.milliseconds) else { continue }
            nudges.append(WaitSpec.Nudge(
                afterMS: after, when: WaitSpec.Nudge.When(rawValue: n["when"]?.string ?? "delivered") ?? .delivered,
                text: try localized(LocalizedText(n["text"])), template: try templateSpec(n["template"])))
        }
        let on = map["on"]?.mapping
        return WaitSpec(
            waitFor: WaitSpec.For(rawValue: map["for"]?.string ?? "message") ?? .message, event: map["event"]?.string,
            timeoutMS: map.durationMS("timeout")?.value, nudges: nudges, maxNudges: map.int("max_nudges")?.value,
            onMessage: try target(on?.located("message")), onEvent: try target(on?.located("event")),
            onTimeout: try target(on?.located("timeout")))
    }
}
