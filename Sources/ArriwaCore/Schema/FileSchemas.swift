/// The schemas of a tenant's three kinds of file.
public enum FileSchemas {
    static let limitOverride = Property("reason", .string(.text), "Why a limit is raised above its default maximum.")

    public static let tenant = ObjectSchema("tenant.yaml", summary: "A tenant's configuration: provider, languages, code words, thresholds, limits, streams, audiences, CRM and handover. Credentials are environment variable names, never values.", [
        Property("tenant", .string(.identifier), required: true, "Tenant id (the directory name by convention)."),
        Property("name", .string(.text), "Display name."),
        Property("entry_flow", .string(.identifier), default: "main", "The flow a new session starts in."),
        Property("languages", .array(.string(.language), minItems: 1), required: true, "Languages the funnel speaks; the first is the default."),
        Property("timezone", .string(.text), default: "UTC", "IANA time zone for quiet hours and reports."),
        Property("provider", .object(ObjectSchema("provider", [
            Property("kind", .string(.oneOf(["cloud_api", "gupshup", "evolution", "fake"])), required: true, "WhatsApp provider."),
            Property("phone_number_id", .string(.text), "Cloud API phone number id (not a secret)."),
            Property("business_account_id", .string(.text), "WhatsApp Business Account id (WABA)."),
            Property("access_token_env", .string(.envVar), "Env var holding the provider access token."),
            Property("app_secret_env", .string(.envVar), "Env var holding the app secret (webhook signatures)."),
            Property("verify_token_env", .string(.envVar), "Env var holding the webhook verify token."),
            Property("webhook_secret_env", .string(.envVar), "Env var holding the per-tenant webhook URL secret."),
            Property("api_key_env", .string(.envVar), "Env var holding the Gupshup / Evolution API key."),
            Property("app_name", .string(.text), "Gupshup app name."),
            Property("instance", .string(.text), "Evolution API instance name."),
            Property("base_url", .string(.text), "Override of the provider API base URL."),
        ])), required: true, "WhatsApp provider and credential references."),
        Property("code_words", .object(ObjectSchema("code words", [
            Property("stop", .localizedList, "Opt-out words."),
            Property("pause", .localizedList, "Snooze words."),
            Property("start", .localizedList, "Resume words."),
            Property("operator", .localizedList, "Ask-for-a-human words."),
        ])), "Code words checked on every inbound message, per language."),
        Property("thresholds", .object(ObjectSchema("thresholds", [
            Property("valid", .number(), default: "0.65", "Confidence at or above which an answer is valid."),
            Property("noise", .number(), default: "0.30", "Confidence below which an answer is noise."),
        ])), "Classification thresholds: 0 ≤ noise < valid ≤ 1."),
        Property("limits", .object(ObjectSchema("limits", [
            Property("reprompts", .integer(min: 0), default: "3", "Re-prompts per step before escalation (max 3 without reason)."),
            Property("nudges", .integer(min: 0), default: "2", "Nudges per case (max 2 without reason)."),
            Property("step_timeout", .string(.duration), default: "30m", "A step is abandoned after this long."),
            Property("auto_return_hours", .integer(min: 1), default: "24", "Hours after which a handover returns to the bot."),
            Property("breaker_escalations", .integer(min: 1), default: "5", "Escalations in a row that open the circuit breaker."),
            Property("pause_default", .string(.duration), default: "1h", "Snooze length when the pause message names none."),
            Property("pause_max", .string(.duration), default: "24h", "Longest snooze."),
            Property("step_budget", .integer(min: 1), default: "200", "Nodes one event may run before the engine stops it."),
            Property("debounce", .string(.duration), "Merge a burst of messages from one lead into one turn."),
            limitOverride,
        ])), "Limits; defaults from SPEC.md."),
        Property("streams", .object(ObjectSchema("streams", [
            Property("GOOD", .object(streamSchema), "Valid answers and conversions."),
            Property("NOISE", .object(streamSchema), "NEG_* events and noise."),
        ])), "Meta datasets per stream; GOOD and NOISE never share one."),
        Property("conversions", .object(ObjectSchema("conversions", [
            Property("api_version", .string(.text), default: "v20.0", "Graph API version."),
            Property("business_account_id", .string(.text), "WABA id sent in user_data."),
            Property("hash_phone", .boolean, default: "false", "Send user_data.ph (SHA-256 of the normalized phone)."),
            Property("event_names", .map(key: .identifier, value: .string(.text)), "Funnel event → Meta event name (e.g. QUALIFY_COMPLETE: QualifiedLead); `none` keeps it off CAPI."),
            Property("graph_url_env", .string(.envVar), "Env var holding a Graph API base URL override (default https://graph.facebook.com)."),
            Property("audiences_token_env", .string(.envVar), "Env var holding the Custom Audiences token (default: the GOOD stream's)."),
        ])), "Meta Conversions API for business messaging."),
        Property("audiences", .map(key: .identifier, value: .object(ObjectSchema("audience", [
            Property("id", .string(.text), "Meta Custom Audience id."),
            Property("description", .string(.text), "What the audience holds."),
        ]))), "Custom Audiences the flows may add to and remove from."),
        Property("crm", .object(ObjectSchema("crm", [
            Property("kind", .string(.oneOf(["kommo", "bitrix24", "none"])), required: true, "CRM."),
            Property("base_url_env", .string(.envVar), "Env var holding the CRM base URL."),
            Property("token_env", .string(.envVar), "Env var holding the CRM token."),
            Property("pipeline", .string(.text), "Pipeline name or id."),
            Property("stages", .map(key: .identifier, value: .string(.text)), "Stage names → CRM ids."),
            Property("fields", .map(key: .identifier, value: .object(ObjectSchema("crm field", [
                Property("id", .oneOf([.integer(), .string(.text)]), "CRM custom field id."),
                Property("description", .string(.text), "What the field holds."),
            ]))), "CRM custom fields (cf_*) the flows may write."),
            Property("pipeline_id", .string(.text), "CRM pipeline id new leads are created in."),
            Property("lead_fields", .map(key: .identifier, value: .string(.text)),
                     "Attribution written to lead fields on creation: ctwa_clid, source_id, entry, session_id, campaign_id, utm_* → field id."),
            Property("phone_hash_field", .string(.text), "Contact field id holding the phone hash (the contact is found again by it)."),
            Property("levels", .map(key: .identifier, value: .object(ObjectSchema("conversion level", [
                Property("event", .string(.text), "Funnel event emitted once per lead (default CRM_LEVEL_<n>)."),
                Property("when", .map(key: .text, value: .array(.string(.text))), required: true,
                         "CRM field (crm.fields name, field id or status_id) → values; any match reaches the level (OR)."),
            ]))), "Conversion levels (level_1, level_2, level_3) reached from CRM webhook field changes."),
        ])), "CRM connection and field map."),
        Property("stripe", .object(ObjectSchema("stripe", [
            Property("webhook_secret_env", .string(.envVar), required: true, "Env var holding the Stripe endpoint secret (whsec_…)."),
            Property("event", .string(.text), default: "payment.completed", "External event a paid checkout.session.completed becomes."),
        ])), "Stripe checkout webhook (POST /v1/tenants/{tenant}/stripe/webhook)."),
        Property("handover", .object(ObjectSchema("handover", [
            Property("adapter", .string(.oneOf(["webhook", "telegram", "email", "bitrix", "whatsapp_web", "custom"])), required: true, "Where operators are told."),
            Property("url_env", .string(.envVar), "Env var holding the webhook URL."),
            Property("token_env", .string(.envVar), "Env var holding the adapter's token."),
            Property("chat_id", .string(.text), "Telegram chat id."),
            Property("email", .string(.text), "Email address for the email adapter."),
            Property("fallback", .string(.oneOf(["webhook", "telegram", "email", "bitrix", "whatsapp_web", "custom"])), "Adapter used when the first fails."),
        ])), "Handover to a human."),
        Property("webhook", .object(ObjectSchema("webhook sink", [
            Property("url_env", .string(.envVar), required: true, "Env var holding the URL."),
            Property("secret_env", .string(.envVar), required: true, "Env var holding the HMAC-SHA256 signing secret."),
        ])), "Generic signed webhook sink."),
        Property("messages", .object(ObjectSchema("messages", [
            Property("stopped", .localizedText, "Confirms an opt-out (code word stop)."),
            Property("paused", .localizedText, "Confirms a snooze; may interpolate ${session.snoozed_until}."),
            Property("resumed", .localizedText, "Welcomes the lead back (code word start)."),
            Property("operator", .localizedText, "Tells the lead an operator is being connected."),
            Property("apology", .localizedText, "Sent when every classifier failed, before the automatic handover."),
        ])), "Fixed texts the runtime sends for code words and failures."),
    ])

    static let streamSchema = ObjectSchema("stream", [
        Property("dataset_id", .string(.text), required: true, "Meta dataset (pixel) id."),
        Property("access_token_env", .string(.envVar), "Env var holding the CAPI access token for this dataset."),
        Property("action_source", .string(.oneOf(["business_messaging", "chat", "system_generated", "other"])), default: "business_messaging",
                 "CAPI action_source; business_messaging accepts only Meta's allowed event names."),
    ])

    public static let manifest = ObjectSchema("manifest.yaml", summary: "The qualification manifest: the steps Q1..Qn the qualification flow loops over.", [
        Property("first", .string(.identifier), "The first step (default: the first listed)."),
        Property("steps", .array(.object(step), minItems: 1), required: true, "Qualification steps."),
    ])

    static let step = ObjectSchema("step", [
        Property("id", .string(.identifier), required: true, "Step id, e.g. Q1."),
        Property("kind", .string(.oneOf(["buttons", "list", "text", "number"])), required: true, "Answer kind: buttons (≤ 3 options), list, free text or number."),
        Property("question", .localizedText, required: true, "Question text."),
        Property("options", .array(.object(ObjectSchema("option", [
            Property("id", .string(.identifier), required: true, "Option id: the reply id and the parsed answer."),
            Property("title", .localizedText, required: true, "Button or row title."),
            Property("description", .localizedText, "List row description."),
            Property("synonyms", .localizedList, "Other ways leads say it, per language."),
            Property("segments", .array(.string(.identifier)), "Audiences joined when this option is chosen."),
            Property("min", .number(), "Number steps: lowest value of the range (inclusive)."),
            Property("max", .number(), "Number steps: highest value of the range (inclusive)."),
        ]))), "Answer options."),
        Property("examples", .localizedList, "Valid answer examples (required for text steps)."),
        Property("patterns", .array(.string(.text)), "Regular expressions that make a free-text answer valid."),
        Property("clarify", .localizedText, "Sent for an ambiguous answer."),
        Property("reprompt", .localizedText, "Sent for noise."),
        Property("list_button", .localizedText, "List steps: label of the list button (≤ 20)."),
        Property("crm_field", .string(.identifier), "CRM custom field the answer is written to."),
        Property("event", .string(.identifier), "Conversion event on a valid answer (default QUALIFY_<id>)."),
        Property("audience", .string(.identifier), "Audience joined on a valid answer (e.g. CA_QUAL_Q1)."),
        Property("max_reprompts", .integer(min: 0), "Override of re-prompts for this step (needs `reason` above 3)."),
        limitOverride,
        Property("next", .oneOf([.string(.identifier), .object(ObjectSchema("router", [
            Property("routes", .map(key: .identifier, value: .string(.identifier)), "Option id → next step (or done / reject)."),
            Property("default", .string(.identifier), "Next step for options not routed."),
        ]))]), default: "the next listed step, or done", "Next step: an id, `done`, `reject`, or a router by answer."),
    ])

    public static let flow = ObjectSchema("flow file", summary: "A flow graph: header, typed variables and nodes.", [
        Property("flow", .string(.identifier), "Flow name, unique within the tenant (header)."),
        Property("version", .string(.semver), "Semantic version (header); sessions stay on the version they started."),
        Property("description", .string(.text), "What the flow does."),
        Property("start", .string(.identifier), "Id of the start node (header)."),
        Property("vars", .map(key: .identifier, value: .object(variable)), "Typed variables with defaults."),
        Property("nodes", .array(.flowNode, minItems: 1), required: true, "The nodes."),
    ])

    static let variable = ObjectSchema("variable", [
        Property("type", .string(.oneOf(VariableType.names)), required: true, "Type of the variable."),
        Property("default", .any, "Initial value; a variable without one must be set before it is read."),
        Property("of", .string(.identifier), "With `type: answer`: the manifest step whose option ids are its values."),
        Property("max_length", .integer(min: 0), "Longest string value (lets the validator bound message lengths)."),
        Property("description", .string(.text), "What the variable holds."),
    ])
}

/// Declared variable types.
public enum VariableType: String, Sendable, Hashable, CaseIterable {
    case string, int, number, bool, duration, timestamp, list, map
    /// A manifest step id.
    case step
    /// An option id of the manifest step named by `of`.
    case answer

    public static let names = allCases.map(\.rawValue)
}
