/// The manifest and the tenant's numbers: step references, reachability, thresholds, limits,
/// routes for every option, examples for free text, and the WhatsApp shape of each step.
enum ManifestRules {
    static func check(_ context: inout ValidationContext) {
        if let tenant = context.tenant { checkTenant(tenant, &context) }
        guard let manifest = context.manifest else { return }
        let ids = manifest.stepIDs
        func checkTarget(_ target: Located<String>, _ context: inout ValidationContext) {
            guard manifest.step(target.value) == nil, !Manifest.terminalTargets.contains(target.value) else { return }
            context.report("manifest.unknown-step", "'\(target.value)' is not a step of the manifest", at: target,
                           hint: Suggest.closest(to: target.value, in: ids + Manifest.terminalTargets).map { "did you mean '\($0)'?" }
                               ?? "use a step id, `done` or `reject`")
        }
        if let first = manifest.first { checkTarget(first, &context) }
        var seen = Set<String>()
        for step in manifest.steps {
            if !seen.insert(step.id.value).inserted {
                context.report("schema.invalid-value", "step id '\(step.id.value)' is used twice", at: step.id)
            }
            switch step.next {
            case .step(let target)?: checkTarget(target, &context)
            case .router(let routes, let fallback, let location)?:
                for route in routes {
                    checkTarget(route.target, &context)
                    if !step.optionIDs.contains(route.option.value) {
                        context.report("expr.unknown-option", "'\(route.option.value)' is not an option of \(step.id.value)", at: route.option,
                                       hint: Suggest.closest(to: route.option.value, in: step.optionIDs).map { "did you mean '\($0)'?" })
                    }
                }
                if let fallback { checkTarget(fallback, &context) }
                if fallback == nil {
                    let routed = Set(routes.map(\.option.value))
                    let missing = step.optionIDs.filter { !routed.contains($0) }
                    if !missing.isEmpty {
                        context.report("manifest.option-unrouted",
                                       "options \(missing.joined(separator: ", ")) of \(step.id.value) have no route and the router has no default",
                                       at: location)
                    }
                }
            case nil: break
            }
            checkStep(step, &context)
        }
        // Reachability from the first step.
        if let first = manifest.firstStepID, manifest.step(first) != nil {
            var reached = Set<String>()
            var stack = [first]
            while let id = stack.popLast() {
                guard reached.insert(id).inserted, let step = manifest.step(id) else { continue }
                stack += manifest.successors(of: step).map(\.value)
            }
            for step in manifest.steps where !reached.contains(step.id.value) {
                context.report("manifest.unreachable-step", "step \(step.id.value) cannot be reached from \(first)", at: step.id)
            }
        }
        // Flows' literal step references.
        for flow in context.project.flows {
            for node in flow.nodes where ["llm.classify", "wa.send", "emit"].contains(node.type.value) {
                if let step = node.map["step"]?.scalar, !step.text.hasInterpolation {
                    checkTarget(Located(step.text, at: step.location), &context)
                }
            }
        }
    }

    static func checkTenant(_ tenant: Tenant, _ context: inout ValidationContext) {
        let valid = tenant.valid, noise = tenant.noise
        if !(0...1).contains(valid) {
            context.report("manifest.thresholds", "valid threshold \(valid) is outside 0…1", at: tenant.validThreshold?.location ?? tenant.thresholdsLocation ?? SourceLocation(file: tenant.file, line: 1, column: 1))
        }
        if !(0...1).contains(noise) {
            context.report("manifest.thresholds", "noise threshold \(noise) is outside 0…1", at: tenant.noiseThreshold?.location ?? tenant.thresholdsLocation ?? SourceLocation(file: tenant.file, line: 1, column: 1))
        }
        if noise >= valid {
            context.report("manifest.thresholds", "noise threshold \(noise) must be below the valid threshold \(valid)",
                           at: tenant.noiseThreshold?.location ?? tenant.validThreshold?.location ?? tenant.thresholdsLocation ?? SourceLocation(file: tenant.file, line: 1, column: 1))
        }
        if let reprompts = tenant.reprompts, reprompts.value > 3, tenant.limitsReason == nil {
            context.report("manifest.reprompt-limit", "re-prompts per step is \(reprompts.value); more than 3 needs `reason:` under limits", at: reprompts.location)
        }
        if let nudges = tenant.nudges, nudges.value > 2, tenant.limitsReason == nil {
            context.report("manifest.nudge-limit", "nudges per case is \(nudges.value); more than 2 needs `reason:` under limits", at: nudges.location)
        }
    }

    static func checkStep(_ step: Step, _ context: inout ValidationContext) {
        if let max = step.maxReprompts, max.value > 3, step.reason == nil {
            context.report("manifest.reprompt-limit", "step \(step.id.value) allows \(max.value) re-prompts; more than 3 needs `reason:`", at: max.location)
        }
        if step.kind == .text && (step.examples?.isEmpty ?? true) {
            context.report("manifest.missing-examples", "free-text step \(step.id.value) has no `examples:`", at: step.id)
        }
        if (step.kind == .buttons || step.kind == .list) && step.options.isEmpty {
            context.report("schema.missing-key", "step \(step.id.value) of kind \(step.kind?.rawValue ?? "") needs `options:`", at: step.id)
        }
        var optionIDs = Set<String>()
        for option in step.options where !optionIDs.insert(option.id.value).inserted {
            context.report("schema.invalid-value", "option id '\(option.id.value)' is used twice in \(step.id.value)", at: option.id)
        }
        if let tenant = context.tenant {
            for segment in step.options.flatMap(\.segments) + (step.audience.map { [$0] } ?? []) where tenant.audiences[segment.value] == nil {
                context.report("emit.unknown-audience", "audience '\(segment.value)' is not declared in tenant.yaml", at: segment,
                               hint: Suggest.closest(to: segment.value, in: Array(tenant.audiences.keys)).map { "did you mean '\($0)'?" })
            }
            if let field = step.crmField, tenant.crmFields[field.value] == nil {
                context.report("emit.unknown-crm-field", "CRM field '\(field.value)' is not declared in tenant.yaml crm.fields", at: field,
                               hint: Suggest.closest(to: field.value, in: Array(tenant.crmFields.keys)).map { "did you mean '\($0)'?" })
            }
        }
        WhatsAppRules.checkStep(step, &context)
    }
}

/// Flow headers and secrets written inline.
enum HygieneRules {
    static func check(_ context: inout ValidationContext) {
        for flow in context.project.flows {
            let missing = [("flow", flow.name), ("version", flow.version), ("start", flow.start)].filter { $0.1 == nil }.map(\.0)
            if !missing.isEmpty {
                context.report("hygiene.missing-header",
                               "flow file lacks its header: \(missing.map { "`\($0):`" }.joined(separator: ", "))",
                               at: flow.location)
            }
        }
        for path in context.project.roots.keys.sorted() {
            guard let root = context.project.roots[path] else { continue }
            scan(root, key: nil, &context)
        }
    }

    static let secretKeyWords = ["token", "secret", "password", "passwd", "api_key", "apikey", "private_key", "authorization", "credential"]
    static let secretPrefixes = ["EAA", "sk-", "sk_live_", "sk_test_", "rk_live_", "whsec_", "xoxb-", "xoxp-", "ghp_", "AKIA", "Bearer "]

    /// A key that names a secret (token, password, ...) rather than its env var (`*_env`).
    /// Byte search on purpose: this runs for every scalar of every file.
    static func isSecretKey(_ key: String?) -> Bool {
        guard let key, !key.hasSuffix("_env") else { return false }
        let bytes = Array(key.utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 })
        return secretKeyWordBytes.contains { word in
            guard word.count <= bytes.count else { return false }
            return (0...(bytes.count - word.count)).contains { start in bytes[start..<start + word.count].elementsEqual(word) }
        }
    }

    static let secretKeyWordBytes: [[UInt8]] = secretKeyWords.map { Array($0.utf8) }

    static func looksSecret(_ text: String) -> Bool {
        guard text.utf8.count >= 20, !text.containsByte(" ") || text.hasPrefix("Bearer ") else { return false }
        return secretPrefixes.contains { text.hasPrefix($0) }
    }

    static func scan(_ node: YNode, key: String?, _ context: inout ValidationContext) {
        switch node {
        case .scalar(let s):
            guard !s.isNull, !s.text.hasInterpolation else { return }
            if isSecretKey(key) && !s.text.isEmpty && s.boolValue == nil {
                context.report("hygiene.inline-secret", "'\(key ?? "")' holds a secret value inline", at: s.location, length: min(s.text.count, 40),
                               hint: "move the value to an environment variable and write `\(key ?? "")_env: NAME`")
            } else if looksSecret(s.text) {
                context.report("hygiene.inline-secret", "this value looks like an access token or secret", at: s.location, length: min(s.text.count, 40),
                               hint: "move it to an environment variable and reference it with an `*_env` key")
            }
        case .mapping(let map):
            for pair in map.pairs { scan(pair.value, key: pair.key.text, &context) }
        case .sequence(let seq):
            for item in seq.items { scan(item, key: key, &context) }
        }
    }
}
