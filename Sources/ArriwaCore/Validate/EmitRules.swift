/// Emissions: idempotency keys, Meta's business-messaging event names, separate datasets,
/// declared audiences, CRM fields and sinks.
enum EmitRules {
    /// Event names Meta accepts with action_source business_messaging (FACTS.md). `Lead` is not one.
    public static let allowedBusinessMessagingEvents: Set<String> = [
        "Purchase", "LeadSubmitted", "QualifiedLead", "InitiateCheckout", "AddToCart", "ViewContent", "OrderCreated",
        "OrderShipped", "OrderDelivered", "OrderCanceled", "OrderReturned", "CartAbandoned", "RatingProvided", "ReviewProvided",
    ]
    /// A mapping value that keeps an event off CAPI (audiences and CRM only).
    static let notSent = "none"

    static func check(_ flow: Flow, _ analysis: FlowAnalysis, _ context: inout ValidationContext) {
        for node in flow.nodes {
            if node.type.value == "wait" { checkNudgeLimit(node, &context) }
            guard node.type.value == "emit" else { continue }
            let map = node.map
            if map["key"] == nil {
                context.report("emit.missing-key", "emit '\(node.id.value)' has no idempotency `key:`", at: node.id)
            }
            if map["event"] == nil && map["step"] == nil {
                context.report("schema.missing-key", "emit '\(node.id.value)' needs `event:` or `step:`", at: node.id)
            }
            let sinks = map["to"] == nil ? [Located("capi", at: node.id.location)] : map.identifiers("to")
            guard context.hasTenant, let tenant = context.tenant else { continue }
            for sink in sinks where !isConfigured(sink.value, tenant) {
                context.report("emit.unknown-sink", "sink '\(sink.value)' is not configured in tenant.yaml", at: sink)
            }
            for key in ["add", "remove"] {
                for audience in map["audiences"]?.mapping?.identifiers(key) ?? [] where tenant.audiences[audience.value] == nil {
                    context.report("emit.unknown-audience", "audience '\(audience.value)' is not declared in tenant.yaml", at: audience,
                                   hint: Suggest.closest(to: audience.value, in: Array(tenant.audiences.keys)).map { "did you mean '\($0)'?" })
                }
            }
            for (field, _) in map["crm"]?.mapping?.stringMap("fields") ?? [] where tenant.crmFields[field.value] == nil {
                context.report("emit.unknown-crm-field", "CRM field '\(field.value)' is not declared in tenant.yaml crm.fields", at: field,
                               hint: Suggest.closest(to: field.value, in: Array(tenant.crmFields.keys)).map { "did you mean '\($0)'?" })
            }
            if let stage = map["crm"]?.mapping?.located("stage"), !tenant.crmStages.isEmpty, !tenant.crmStages.contains(stage.value) {
                context.report("emit.unknown-crm-stage", "CRM stage '\(stage.value)' is not declared in tenant.yaml crm.stages", at: stage,
                               hint: Suggest.closest(to: stage.value, in: Array(tenant.crmStages)).map { "did you mean '\($0)'?" })
            }
            guard sinks.contains(where: { $0.value == "capi" }) else { continue }
            let stream = map["stream"]?.string ?? "GOOD"
            guard tenant.streams[stream]?.actionSource ?? "business_messaging" == "business_messaging" else { continue }
            for (name, location) in eventNames(of: node, analysis, context.manifest) {
                checkEventName(name, at: location, tenant, &context)
            }
        }
    }

    /// At most 2 nudges per case, or the tenant's limit when tenant.yaml raises it with a reason.
    static func checkNudgeLimit(_ node: FlowNode, _ context: inout ValidationContext) {
        guard node.map["reason"] == nil else { return }
        let tenant = context.tenant
        let limit = tenant?.limitsReason != nil ? max(2, tenant?.maxNudges ?? 2) : 2
        if let pair = node.map.pair("nudges"), let nudges = pair.value.sequence, nudges.items.count > limit {
            context.report("manifest.nudge-limit", "\(nudges.items.count) nudges; more than \(limit) per case needs `reason:`", at: pair.key.location, length: 6)
        }
        if let max = node.map.int("max_nudges"), max.value > limit {
            context.report("manifest.nudge-limit", "max_nudges is \(max.value); more than \(limit) per case needs `reason:`", at: max.location)
        }
    }

    static func isConfigured(_ sink: String, _ tenant: Tenant) -> Bool {
        switch sink {
        case "capi": !tenant.streams.isEmpty
        case "audiences": !tenant.audiences.isEmpty
        case "crm": tenant.crmKind != nil && tenant.crmKind != "none"
        case "webhook": tenant.hasWebhookSink
        default: false
        }
    }

    static func checkEventName(_ name: String, at location: SourceLocation, _ tenant: Tenant, _ context: inout ValidationContext) {
        if allowedBusinessMessagingEvents.contains(name) { return }
        if let mapped = tenant.eventNames[name] {
            // A bad mapping target is reported once, at the mapping (checkTenant).
            _ = mapped
            return
        }
        let hint = name == "Lead"
            ? "Meta rejects `Lead` for business messaging; use LeadSubmitted or QualifiedLead"
            : "map it in tenant.yaml conversions.event_names (e.g. \(name): QualifiedLead), or `none` to keep it off CAPI"
        context.report("emit.event-not-allowed", "event '\(name)' is not a business-messaging event Meta accepts and is not mapped to one",
                       at: location, length: name.count, hint: hint)
    }

    /// The concrete event names an emit can send: the literal, a template expanded over the
    /// values of a step-typed or option-typed expression, or the manifest steps' events.
    static func eventNames(of node: FlowNode, _ analysis: FlowAnalysis, _ manifest: Manifest?) -> [(String, SourceLocation)] {
        if let event = node.map["event"]?.scalar {
            guard let template = try? Template.parse(event.text) else { return [] }
            var names = [""]
            for part in template.parts {
                switch part {
                case .literal(let text): names = names.map { $0 + text }
                case .expr(let expr, _):
                    guard expr.paths.count == 1, case .enumeration(_, let values)? = analysis.types.type(of: expr.paths[0].components) else { return [] }
                    let concrete = values.filter { !Manifest.terminalTargets.contains($0) }
                    names = names.flatMap { prefix in concrete.map { prefix + $0 } }
                }
            }
            return names.map { ($0, event.location) }
        }
        if let step = node.map["step"]?.scalar, let manifest {
            let steps = step.text.hasInterpolation ? manifest.steps : manifest.steps.filter { $0.id.value == step.text }
            return steps.map { ($0.eventName, $0.event?.location ?? step.location) }
        }
        return []
    }

    static func checkTenant(_ context: inout ValidationContext) {
        guard let tenant = context.tenant else { return }
        if let good = tenant.streams["GOOD"], let noise = tenant.streams["NOISE"], good.datasetID.value == noise.datasetID.value {
            context.report("emit.shared-dataset", "GOOD and NOISE both send to dataset \(noise.datasetID.value)", at: noise.datasetID)
        }
        if tenant.streams["GOOD"]?.actionSource ?? "business_messaging" == "business_messaging" {
            for level in tenant.sinks.crmLevels where tenant.eventNames[level.event] == nil && !allowedBusinessMessagingEvents.contains(level.event) {
                guard let location = level.location else { continue }
                context.report("emit.event-not-allowed", "CRM level \(level.level) emits '\(level.event)', which is not a business-messaging event Meta accepts and is not mapped to one",
                               at: location, hint: "map it in conversions.event_names (e.g. \(level.event): LeadSubmitted), or `none` to keep it off CAPI")
            }
        }
        for (name, target) in tenant.eventNames.sorted(by: { $0.key < $1.key }) {
            if target.value != notSent && !allowedBusinessMessagingEvents.contains(target.value) {
                context.report("emit.event-not-allowed", "'\(name)' is mapped to '\(target.value)', which Meta does not accept for business messaging",
                               at: target, hint: target.value == "Lead" ? "Meta rejects `Lead` for business messaging; use LeadSubmitted or QualifiedLead"
                                   : "allowed: \(allowedBusinessMessagingEvents.sorted().joined(separator: ", ")), or `none`")
            }
        }
    }
}
