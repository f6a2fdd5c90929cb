/// The parts of tenant.yaml the conversion and CRM sinks (and the Stripe / CRM webhooks) read:
/// Graph API version and base URL override, the WABA id, audience and CRM ids, conversion levels.
/// Credentials are environment variable *names*; the values are read where they are used.
public struct TenantSinkSettings: Sendable, Hashable {
    /// A CRM conversion level: the funnel event emitted (once per lead) when any condition holds.
    public struct Level: Sendable, Hashable {
        /// 1, 2 or 3.
        public var level: Int
        /// The funnel event name emitted (mapped to Meta's names by `conversions.event_names`).
        public var event: String
        /// CRM field (a `crm.fields` name, a field id, or `status_id`) → values; any match (OR) reaches the level.
        public var when: [String: [String]]
        /// Where the level is declared (for diagnostics).
        public var location: SourceLocation?

        public init(level: Int, event: String, when: [String: [String]], location: SourceLocation? = nil) {
            self.level = level
            self.event = event
            self.when = when
            self.location = location
        }
    }

    /// Graph API version (`conversions.api_version`, default v20.0).
    public var apiVersion: String = "v20.0"
    /// WhatsApp Business Account id sent in CAPI user_data (conversions.business_account_id, else provider's).
    public var businessAccountID: String?
    /// Send user_data.ph (the SHA-256 phone hash) — only when the tenant opts in.
    public var hashPhone = false
    /// Env var holding a Graph base URL override (tests, proxies); default https://graph.facebook.com.
    public var graphURLEnv: String?
    /// Env var holding the Custom Audiences token (default: the GOOD stream's token env).
    public var audiencesTokenEnv: String?
    /// Audience name → Meta Custom Audience id.
    public var audienceIDs: [String: String] = [:]
    public var crmBaseURLEnv: String?
    public var crmTokenEnv: String?
    public var crmPipelineID: String?
    /// Stage name → CRM status id.
    public var crmStageIDs: [String: String] = [:]
    /// cf_* name → CRM custom field id.
    public var crmFieldIDs: [String: String] = [:]
    /// Lead attribution written to CRM lead fields: `ctwa_clid`, `source_id`, `entry`, `session_id`, … → field id.
    public var crmLeadFields: [String: String] = [:]
    /// Contact field id holding the lead's phone hash (how the contact is found again: we keep no plain phone).
    public var crmPhoneHashField: String?
    public var crmLevels: [Level] = []
    /// Env var holding the Stripe endpoint secret (whsec_…).
    public var stripeSecretEnv: String?
    /// The external event a paid checkout becomes (default payment.completed).
    public var stripeEvent = "payment.completed"

    public init() {}

    init(root: YMapping) {
        let conversions = root["conversions"]?.mapping
        apiVersion = conversions?["api_version"]?.string ?? "v20.0"
        businessAccountID = conversions?["business_account_id"]?.string ?? root["provider"]?.mapping?["business_account_id"]?.string
        hashPhone = conversions?["hash_phone"]?.scalar?.boolValue ?? false
        graphURLEnv = conversions?["graph_url_env"]?.string
        audiencesTokenEnv = conversions?["audiences_token_env"]?.string
            ?? root["streams"]?.mapping?["GOOD"]?.mapping?["access_token_env"]?.string
        for pair in root["audiences"]?.mapping?.pairs ?? [] {
            if let id = pair.value.mapping?["id"]?.string { audienceIDs[pair.key.text] = id }
        }
        let crm = root["crm"]?.mapping
        crmBaseURLEnv = crm?["base_url_env"]?.string
        crmTokenEnv = crm?["token_env"]?.string
        crmPipelineID = crm?["pipeline_id"]?.string
        for pair in crm?["stages"]?.mapping?.pairs ?? [] {
            if let id = pair.value.string { crmStageIDs[pair.key.text] = id }
        }
        for pair in crm?["fields"]?.mapping?.pairs ?? [] {
            if let id = pair.value.mapping?["id"]?.string { crmFieldIDs[pair.key.text] = id }
        }
        for pair in crm?["lead_fields"]?.mapping?.pairs ?? [] {
            if let id = pair.value.string { crmLeadFields[pair.key.text] = id }
        }
        crmPhoneHashField = crm?["phone_hash_field"]?.string
        for pair in crm?["levels"]?.mapping?.pairs ?? [] {
            guard let map = pair.value.mapping, let level = Int(pair.key.text.filter(\.isNumber)) else { continue }
            var when: [String: [String]] = [:]
            for condition in map["when"]?.mapping?.pairs ?? [] {
                when[condition.key.text] = condition.value.sequence?.items.compactMap(\.string) ?? condition.value.string.map { [$0] } ?? []
            }
            crmLevels.append(Level(level: level, event: map["event"]?.string ?? "CRM_LEVEL_\(level)", when: when,
                                   location: map["event"]?.location ?? pair.key.location))
        }
        crmLevels.sort { $0.level < $1.level }
        let stripe = root["stripe"]?.mapping
        stripeSecretEnv = stripe?["webhook_secret_env"]?.string
        stripeEvent = stripe?["event"]?.string ?? "payment.completed"
    }
}
