/// Expressions: syntax, declared paths, types, option ids, functions, constant conditions,
/// and variables read before any node sets them.
enum ExpressionRules {
    static let ruleForIssue: [ExprIssue.Code: String] = [
        .undeclared: "expr.undeclared", .typeMismatch: "expr.type-mismatch", .unknownOption: "expr.unknown-option",
        .unknownFunction: "expr.unknown-function", .functionArguments: "expr.function-arguments",
        .constantCondition: "expr.constant-condition", .syntax: "expr.syntax",
    ]

    static func check(_ flow: Flow, _ analysis: FlowAnalysis, _ context: inout ValidationContext) {
        let checker = TypeChecker(environment: analysis.types)
        for (index, node) in flow.nodes.enumerated() {
            for site in analysis.sites[index] {
                checkSite(site, node: node, flow: flow, checker: checker, &context)
            }
            if node.type.value == "set" {
                for (name, _) in node.map.stringMap("vars") where flow.variable(name.value) == nil {
                    context.report("expr.undeclared", "'\(name.value)' is not a declared variable of flow '\(flow.displayName)'", at: name,
                                   hint: Suggest.closest(to: name.value, in: flow.vars.map(\.name.value)).map { "did you mean '\($0)'?" }
                                       ?? "declare it under `vars:` with a type")
                }
            }
        }
        checkDefaults(flow, analysis, &context)
        checkReadBeforeWrite(flow, analysis, &context)
    }

    static func report(_ issues: [ExprIssue], in site: ExpressionSite, _ context: inout ValidationContext) {
        for issue in issues {
            var hint = issue.hint
            // `step: Q2` in a set node reads a path named Q2; the author meant the string.
            if issue.code == .undeclared, let bare = site.bareIdentifier(at: issue.span), context.isStepOrOption(bare) {
                hint = "'\(bare)' is a step or option id: quote it as a string, '\(bare)'"
            }
            context.report(ruleForIssue[issue.code] ?? "expr.type-mismatch", issue.message,
                           at: site.location(of: issue.span), length: issue.span.length, hint: hint)
        }
    }

    static func syntaxError(_ error: ExprError, in site: ExpressionSite, _ context: inout ValidationContext) {
        context.report("expr.syntax", error.message, at: site.location(of: error.span), length: error.span.length)
    }

    static func checkSite(_ site: ExpressionSite, node: FlowNode, flow: Flow, checker: TypeChecker, _ context: inout ValidationContext) {
        if let error = site.error { return syntaxError(error, in: site, &context) }
        if let template = site.template { return report(checker.check(template), in: site, &context) }
        guard let expr = site.expr else { return }
        var expected: ExprType? = nil
        if node.type.value == "condition" { expected = .bool }
        if node.type.value == "emit" && site.path == "value" { expected = .number }
        var assigned: Variable? = nil
        if node.type.value == "set", site.path.hasPrefix("vars.") {
            assigned = flow.variable(String(site.path.dropFirst(5)))
            if let assigned, context.manifest != nil || assigned.type != .step { expected = FlowTypes.type(of: assigned, manifest: context.manifest) }
        }
        let (type, issues) = checker.check(expr, expected: expected)
        report(issues, in: site, &context)
        _ = type
        if node.type.value == "condition", issues.isEmpty, expr.isConstant, case .bool(let value)? = Evaluator.constantValue(of: expr) {
            context.report("expr.constant-condition", "this condition is always \(value)", at: site.location(of: expr.span), length: expr.span.length)
        }
    }

    /// Defaults must fit the declared type; `step` defaults must name a step; `answer` needs `of`.
    static func checkDefaults(_ flow: Flow, _ analysis: FlowAnalysis, _ context: inout ValidationContext) {
        for variable in flow.vars {
            if variable.type == .answer {
                if let of = variable.of {
                    if let manifest = context.manifest, manifest.step(of.value) == nil {
                        context.report("manifest.unknown-step", "`of: \(of.value)` names no step of the manifest", at: of)
                    }
                } else {
                    context.report("schema.missing-key", "variable '\(variable.name.value)' of type answer needs `of: <step id>`", at: variable.typeLocation)
                }
            }
            guard let value = variable.defaultValue, let type = variable.type else { continue }
            let fits: Bool
            switch (type, value) {
            case (.int, .scalar(let s)): fits = s.intValue != nil
            case (.number, .scalar(let s)): fits = s.doubleValue != nil
            case (.bool, .scalar(let s)): fits = s.boolValue != nil
            case (.duration, .scalar(let s)): fits = DurationSyntax.milliseconds(s.text) != nil
            case (.string, .scalar), (.timestamp, .scalar): fits = true
            case (.step, .scalar(let s)):
                fits = true
                if let manifest = context.manifest, manifest.step(s.text) == nil, !Manifest.terminalTargets.contains(s.text) {
                    context.report("manifest.unknown-step", "default '\(s.text)' of '\(variable.name.value)' is not a step of the manifest",
                                   at: Located(s.text, at: s.location),
                                   hint: Suggest.closest(to: s.text, in: manifest.stepIDs).map { "did you mean '\($0)'?" })
                }
            case (.answer, .scalar(let s)):
                fits = true
                if case .enumeration(_, let values) = FlowTypes.type(of: variable, manifest: context.manifest), !values.contains(s.text) {
                    context.report("expr.unknown-option", "default '\(s.text)' is not an option of \(variable.of?.value ?? "the step")",
                                   at: Located(s.text, at: s.location))
                }
            case (.list, .sequence), (.map, .mapping): fits = true
            case (.list, .scalar(let s)), (.map, .scalar(let s)): fits = s.isNull
            default: fits = false
            }
            if !fits {
                context.report("expr.type-mismatch", "default of '\(variable.name.value)' is not of type \(type.rawValue)", at: value.location)
            }
        }
    }

    /// Forward must-analysis: which variables are certainly set on entry to each node.
    static func checkReadBeforeWrite(_ flow: Flow, _ analysis: FlowAnalysis, _ context: inout ValidationContext) {
        let unset = flow.vars.filter { !$0.hasDefault }.map(\.name.value)
        guard !unset.isEmpty, let start = analysis.startIndex else { return }
        let bit = Dictionary(uniqueKeysWithValues: unset.enumerated().map { ($1, $0) })
        let all = Set(0..<unset.count)
        let count = flow.nodes.count
        var entry = [Set<Int>?](repeating: nil, count: count)
        entry[start] = []
        var writes = [Set<Int>](repeating: [], count: count)
        for (i, node) in flow.nodes.enumerated() where node.type.value == "set" {
            writes[i] = Set(node.map.stringMap("vars").compactMap { bit[$0.key.value] })
        }
        var work = [start]
        while let i = work.popLast() {
            guard let incoming = entry[i] else { continue }
            let out = incoming.union(writes[i])
            for s in analysis.successors[i] {
                let merged = entry[s].map { $0.intersection(out) } ?? (s == start ? [] : out)
                if merged != entry[s] {
                    entry[s] = merged
                    work.append(s)
                }
            }
        }
        for (i, _) in flow.nodes.enumerated() {
            let known = entry[i] ?? all
            for site in analysis.sites[i] {
                for expr in site.allExpressions {
                    for path in expr.paths where path.components.count >= 2 && path.components[0] == "vars" {
                        guard let b = bit[path.components[1]], !known.contains(b) else { continue }
                        context.report("expr.read-before-write",
                                       "'vars.\(path.components[1])' has no default and may be read here before any node sets it",
                                       at: site.location(of: path.span), length: path.span.length)
                    }
                }
            }
        }
    }

    /// Texts in tenant.yaml and manifest.yaml may interpolate session, tenant and manifest values.
    static func checkTenantTexts(_ context: inout ValidationContext) {
        let checker = TypeChecker(environment: FlowTypes.environment(flow: nil, manifest: context.manifest))
        var roots: [(YNode, ObjectSchema)] = []
        if let tenant = context.tenant, let root = context.project.rootNode(of: tenant.file) { roots.append((root, FileSchemas.tenant)) }
        if let manifest = context.manifest, let root = context.project.rootNode(of: manifest.file) { roots.append((root, FileSchemas.manifest)) }
        for (root, schema) in roots {
            for site in ExpressionSites.collect(in: root, schema: .object(schema)) {
                if let error = site.error { syntaxError(error, in: site, &context); continue }
                if let template = site.template { report(checker.check(template), in: site, &context) }
            }
        }
    }
}

extension ValidationContext {
    func isStepOrOption(_ name: String) -> Bool {
        guard let manifest else { return false }
        return manifest.step(name) != nil || Manifest.terminalTargets.contains(name)
            || manifest.steps.contains { $0.optionIDs.contains(name) }
    }
}

extension ExpressionSite {
    /// The text at `span` when it is a lone identifier (no dots or operators).
    func bareIdentifier(at span: ExprSpan) -> String? {
        let chars = Array(scalar.text)
        guard span.offset >= 0, span.offset + span.length <= chars.count else { return nil }
        let text = String(chars[span.offset..<span.offset + span.length])
        return Patterns.isIdentifier(text) && !text.contains(".") ? text : nil
    }

    /// The expression, or every `${}` expression of the template.
    var allExpressions: [Expr] {
        if let expr { return [expr] }
        return template?.parts.compactMap { part in
            if case .expr(let e, _) = part { return e }
            return nil
        } ?? []
    }
}
