/// WhatsApp's message limits (FACTS.md / Cloud API docs) and the 24-hour window.
enum WhatsAppRules {
    static let maxButtons = 3
    static let buttonTitle = 20
    static let replyID = 256
    static let listRows = 10
    static let rowTitle = 24
    static let rowDescription = 72
    static let listButton = 20
    static let interactiveBody = 1024
    static let headerFooter = 60
    static let text = 4096
    static let window: Int64 = 24 * 3_600_000

    static func checkLength(_ text: LocalizedText?, max: Int, rule: String, what: String, _ context: inout ValidationContext) {
        for variant in text?.variants ?? [] where variant.text.count > max {
            context.report(rule, "\(what) is \(variant.text.count) characters\(variant.language.map { " (\($0))" } ?? ""); the limit is \(max)",
                           at: variant.scalar.location, length: min(variant.text.count, 40))
        }
    }

    static func checkTitles(_ titles: [LocalizedText], max: Int, rule: String, what: String, _ context: inout ValidationContext) {
        var seen: [String: Set<String>] = [:]
        for title in titles {
            checkLength(title, max: max, rule: rule, what: what, &context)
            for variant in title.variants {
                let language = variant.language ?? "*"
                if !seen[language, default: []].insert(variant.text.lowercased()).inserted {
                    context.report(rule, "\(what) '\(variant.text)' repeats another title of the same message", at: variant.scalar.location, length: variant.text.count)
                }
            }
        }
    }

    static func checkID(_ id: Located<String>, _ context: inout ValidationContext) {
        if id.value.count > replyID {
            context.report("wa.id-length", "reply id is \(id.value.count) characters; the limit is \(replyID)", at: id.location, length: 40)
        }
    }

    /// A manifest step is sent as buttons, a list or text: check its shape.
    static func checkStep(_ step: Step, _ context: inout ValidationContext) {
        let interactive = step.kind == .buttons || step.kind == .list
        for text in [step.question, step.clarify, step.reprompt] {
            checkLength(text, max: interactive ? interactiveBody : self.text, rule: interactive ? "wa.body-length" : "wa.text-length",
                        what: interactive ? "the message body" : "the text", &context)
        }
        for option in step.options { checkID(option.id, &context) }
        switch step.kind {
        case .buttons?:
            if step.options.count > maxButtons {
                context.report("wa.buttons-need-list", "step \(step.id.value) has \(step.options.count) options; more than \(maxButtons) must be a list",
                               at: step.kindLocation ?? step.id.location, length: 7, hint: "write `kind: list`")
            }
            checkTitles(step.options.compactMap(\.title), max: buttonTitle, rule: "wa.button-title", what: "button title", &context)
        case .list?:
            if step.options.count > listRows {
                context.report("wa.list-rows", "step \(step.id.value) has \(step.options.count) options; a list holds at most \(listRows) rows",
                               at: step.optionsLocation ?? step.id.location)
            }
            checkTitles(step.options.compactMap(\.title), max: rowTitle, rule: "wa.list-row-title", what: "list row title", &context)
            for option in step.options { checkLength(option.description, max: rowDescription, rule: "wa.list-row-description", what: "the row description", &context) }
            checkLength(step.listButton, max: listButton, rule: "wa.list-button", what: "the list button label", &context)
        default:
            break
        }
    }

    static func check(_ flow: Flow, _ analysis: FlowAnalysis, _ context: inout ValidationContext) {
        for node in flow.nodes where node.type.value == "wa.send" { checkSend(node, analysis, &context) }
    }

    static func checkSend(_ node: FlowNode, _ analysis: FlowAnalysis, _ context: inout ValidationContext) {
        let map = node.map
        let buttons = map["buttons"]?.sequence?.items.compactMap(\.mapping) ?? []
        let list = map["list"]?.mapping
        let interactive = map["buttons"] != nil || list != nil
        if map["text"] == nil && map["step"] == nil && map["template"] == nil {
            context.report("schema.missing-key", "wa.send '\(node.id.value)' needs `text`, `step` or `template`", at: node.id)
        }
        if map["text"] != nil && map["step"] != nil {
            context.report("schema.invalid-value", "wa.send '\(node.id.value)' has both `text` and `step`; use one", at: map["step"]?.location ?? node.location)
        }
        if let pair = map.pair("buttons"), let items = pair.value.sequence, !(1...maxButtons).contains(items.items.count) {
            context.report("wa.buttons-count", "\(items.items.count) reply buttons; WhatsApp allows 1 to \(maxButtons)", at: pair.key.location, length: 7,
                           hint: items.items.count > maxButtons ? "send more than 3 choices as a `list`" : nil)
        }
        checkTitles(buttons.compactMap { LocalizedText($0["title"]) }, max: buttonTitle, rule: "wa.button-title", what: "button title", &context)
        for button in buttons { if let id = button.located("id") { checkID(id, &context) } }
        if let list {
            let rows = (list["sections"]?.sequence?.items ?? []).flatMap { $0.mapping?["rows"]?.sequence?.items.compactMap(\.mapping) ?? [] }
            if rows.isEmpty || rows.count > listRows {
                context.report("wa.list-rows", "the list has \(rows.count) rows; WhatsApp allows 1 to \(listRows) in total",
                               at: map.pair("list")?.key.location ?? list.location, length: 4)
            }
            checkTitles(rows.compactMap { LocalizedText($0["title"]) }, max: rowTitle, rule: "wa.list-row-title", what: "list row title", &context)
            for row in rows {
                checkLength(LocalizedText(row["description"]), max: rowDescription, rule: "wa.list-row-description", what: "the row description", &context)
                if let id = row.located("id") { checkID(id, &context) }
            }
            checkLength(LocalizedText(list["button"]), max: listButton, rule: "wa.list-button", what: "the list button label", &context)
        }
        for key in ["header", "footer"] {
            checkLength(LocalizedText(map[key]), max: headerFooter, rule: "wa.header-footer-length", what: "the \(key)", &context)
        }
        // Body / text length, worst case after interpolation where every bound is known.
        for variant in LocalizedText(map["text"])?.variants ?? [] {
            guard let bound = worstCaseLength(variant.scalar, analysis, context.manifest) else { continue }
            let limit = interactive ? interactiveBody : text
            if bound > limit {
                context.report(interactive ? "wa.body-length" : "wa.text-length",
                               "this \(interactive ? "message body" : "text") can be \(bound) characters after interpolation\(variant.language.map { " (\($0))" } ?? ""); the limit is \(limit)",
                               at: variant.scalar.location, length: min(variant.text.count, 40))
            }
        }
    }

    /// The longest a template can render, or nil when some interpolated value is unbounded.
    static func worstCaseLength(_ scalar: YScalar, _ analysis: FlowAnalysis, _ manifest: Manifest?) -> Int? {
        guard let template = try? Template.parse(scalar.text) else { return nil }
        var total = 0
        for part in template.parts {
            switch part {
            case .literal(let text): total += text.count
            case .expr(let expr, _):
                guard let bound = bound(of: expr, analysis, manifest) else { return nil }
                total += bound
            }
        }
        return total
    }

    static func bound(of expr: Expr, _ analysis: FlowAnalysis, _ manifest: Manifest?) -> Int? {
        if let value = Evaluator.constantValue(of: expr) { return value.renderedText.count }
        let paths = expr.paths
        guard paths.count == 1, paths[0].span == expr.span else { return nil }
        let components = paths[0].components
        if components.count == 2, components[0] == "vars", let variable = analysis.flow.variable(components[1]) {
            if let max = variable.maxLength { return max }
        }
        switch analysis.types.type(of: components) {
        case .enumeration(_, let values)?: return values.map(\.count).max() ?? 0
        case .int?: return 20
        case .bool?: return 5
        default: return nil
        }
    }
}
