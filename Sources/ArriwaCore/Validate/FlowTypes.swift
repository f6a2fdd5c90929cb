/// The static types of everything an expression can read in one flow: its declared
/// variables, the session, the inbound message, the manifest and the tenant.
public enum FlowTypes {
    public static let entryPoints = ["ctwa", "qr", "direct", "link", "organic"]
    public static let validities = ["valid", "ambiguous", "noise"]

    /// Values a `step`-typed variable can hold: every step id plus the router's terminals.
    public static func stepType(_ manifest: Manifest?) -> ExprType {
        .enumeration(name: "step", values: ((manifest?.stepIDs ?? []) + Manifest.terminalTargets).sorted())
    }

    public static func answerType(of step: Step?) -> ExprType {
        guard let step, !step.options.isEmpty else { return .string }
        return .enumeration(name: "\(step.id.value) option", values: step.optionIDs.sorted())
    }

    public static func type(of variable: Variable, manifest: Manifest?) -> ExprType {
        switch variable.type {
        case .string?: .string
        case .int?: .int
        case .number?: .number
        case .bool?: .bool
        case .duration?: .duration
        case .timestamp?: .timestamp
        case .list?: .list(.any)
        case .map?: .map(.any)
        case .step?: stepType(manifest)
        case .answer?: answerType(of: variable.of.flatMap { manifest?.step($0.value) })
        case nil: .any
        }
    }

    public static func session(manifest: Manifest?) -> ExprType {
        let steps = manifest?.steps ?? []
        var answers: [String: ExprType] = [:]
        var confidence: [String: ExprType] = [:]
        for step in steps {
            answers[step.id.value] = answerType(of: step)
            confidence[step.id.value] = .number
        }
        let attributionFields = ["ctwa_clid", "campaign_id", "adset_id", "ad_id", "creative_id", "source_id", "source_url",
                                 "source_type", "headline", "placement", "publisher_platform", "utm_source", "utm_medium",
                                 "utm_campaign", "utm_content", "utm_term", "product_id", "location_id", "promo_code"]
        return .record([
            "id": .string, "subscriber_id": .string, "phone_hash": .string, "language": .string,
            "profile_name": .string, "country": .string, "timezone": .string,
            "entry": .enumeration(name: "entry point", values: entryPoints),
            "step": stepType(manifest), "retries": .int, "nudges": .int, "escalations": .int,
            "started_at": .timestamp, "last_inbound_at": .timestamp, "snoozed_until": .timestamp,
            "opted_out": .bool, "human_active": .bool, "flow_version": .string,
            "answers": .record(answers), "confidence": .record(confidence),
            "attribution": .record(Dictionary(uniqueKeysWithValues: attributionFields.map { ($0, ExprType.string) })),
        ])
    }

    public static let message: ExprType = .record([
        "id": .string, "text": .string, "type": .string, "reply_id": .string, "reply_title": .string,
        "caption": .string, "media_type": .string, "received_at": .timestamp,
        "classification": .record([
            "validity": .enumeration(name: "validity", values: validities),
            "confidence": .number, "answer": .string, "quality_score": .number,
        ]),
    ])

    public static func manifest(_ manifest: Manifest?) -> ExprType {
        var fields: [String: ExprType] = [
            "first": stepType(manifest), "steps": .list(stepType(manifest)), "count": .int,
        ]
        for step in manifest?.steps ?? [] {
            fields[step.id.value] = .record([
                "question": .string, "kind": .string, "event": .string,
                "options": .list(answerType(of: step)), "crm_field": .string, "max_reprompts": .int,
            ])
        }
        return .record(fields)
    }

    public static let tenant: ExprType = .record([
        "id": .string, "name": .string, "languages": .list(.string),
        "thresholds": .record(["valid": .number, "noise": .number]),
        "limits": .record(["reprompts": .int, "nudges": .int, "step_timeout": .duration,
                           "auto_return_hours": .int, "breaker_escalations": .int, "pause_default": .duration,
                           "pause_max": .duration, "step_budget": .int, "debounce": .duration]),
    ])

    /// The environment for expressions inside `flow` (nil: tenant and manifest texts, which see no vars).
    public static func environment(flow: Flow?, manifest: Manifest?) -> StaticTypeEnvironment {
        var roots: [String: ExprType] = [
            "session": session(manifest: manifest), "message": message,
            "manifest": self.manifest(manifest), "tenant": tenant,
        ]
        if let flow {
            var vars: [String: ExprType] = [:]
            for variable in flow.vars { vars[variable.name.value] = type(of: variable, manifest: manifest) }
            roots["vars"] = .record(vars)
        }
        return StaticTypeEnvironment(roots: roots)
    }
}
