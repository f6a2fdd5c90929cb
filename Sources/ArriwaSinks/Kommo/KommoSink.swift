import ArriwaCore
public import ArriwaRuntime
public import ArriwaStore
public import AsyncHTTPClient
import Foundation
public import Logging

/// The `crm` sink for Kommo (amoCRM) API v4.
///
/// A session's first CRM emission creates its lead with `POST /api/v4/leads/complex`: in the
/// emission's stage (else "New"), with the CTWA attribution in `crm.lead_fields` (ctwa_clid,
/// source_id, entry, session_id), the `cf_*` fields, tags, and the contact: found by the phone
/// hash (`GET /api/v4/contacts?query=<hash>`, `crm.phone_hash_field`), else by the phone number
/// itself (`?query=<digits>`, as Kommo documents the upsert), else a new one holding the number in
/// Kommo's PHONE field (so the manager can call) and the hash. The number comes from `phoneNumber`
/// — the lead's sealed address, opened only here — and is never logged; without it the contact
/// holds the hash only. Later emissions `PATCH` the lead: fields, added tags,
/// and a stage only when the flow names one (stage moves happen only by explicit rules). A note
/// (`crm.note`, or the answer and its confidence for a step) is added to the lead.
///
/// The lead is found again by the session id in its `session_id` lead field, so a retry after a
/// lost answer does not create a second lead. Rows of one session are delivered one at a time.
public actor KommoSink: Sink {
    public struct Configuration: Sendable {
        public var timeout: Duration

        public init(timeout: Duration = .seconds(10)) {
            self.timeout = timeout
        }
    }

    let configs: SinkConfigs
    let client: HTTPClient
    let configuration: Configuration
    let logger: Logger
    /// The lead's phone number (international digits) by tenant and lane, when it is known.
    let phoneNumber: @Sendable (_ tenant: String, _ lane: String) async -> String?
    /// tenant/session → lead id.
    private var leads: [String: Int] = [:]
    /// tenant/session → the delivery running for it (rows of one session go one at a time).
    private var running: [String: Task<String?, any Error>] = [:]

    public init(configs: SinkConfigs, client: HTTPClient, configuration: Configuration = Configuration(),
                logger: Logger = Logger(label: "arriwa.sink.kommo"),
                phoneNumber: @escaping @Sendable (_ tenant: String, _ lane: String) async -> String? = { _, _ in nil }) {
        self.configs = configs
        self.client = client
        self.configuration = configuration
        self.logger = logger
        self.phoneNumber = phoneNumber
    }

    public func deliver(_ record: OutboxRecord) async throws -> String? {
        let key = "\(record.item.tenant)/\(record.item.sessionID)"
        let previous = running[key]
        let task = Task {
            _ = await previous?.result
            return try await self.perform(record)
        }
        running[key] = task
        defer { if running[key] == task { running[key] = nil } }
        return try await task.value
    }

    private func perform(_ record: OutboxRecord) async throws -> String? {
        guard case .emit(let emission) = record.item.effect else {
            throw DeliveryError.permanent("crm row \(record.id) does not carry an emission")
        }
        let config: SinkTenantConfig
        do {
            config = try await configs.config(tenant: record.item.tenant)
        } catch let error as SinkConfigError {
            throw DeliveryError.permanent("crm: \(error)")
        }
        guard config.crmKind == "kommo" else { return CAPISink.skippedID("crm.kind is \(config.crmKind ?? "not set"), not kommo") }
        let settings = config.settings
        guard let base = config.secret(settings.crmBaseURLEnv) else {
            throw DeliveryError.permanent("crm: base URL env var \(settings.crmBaseURLEnv ?? "(crm.base_url_env not set)") is empty")
        }
        guard let token = config.secret(settings.crmTokenEnv) else {
            throw DeliveryError.permanent("crm: token env var \(settings.crmTokenEnv ?? "(crm.token_env not set)") is empty")
        }
        let kommo = KommoClient(client: client, baseURL: base.hasSuffix("/") ? String(base.dropLast()) : base, token: token,
                                timeout: configuration.timeout)
        let cacheKey = "\(record.item.tenant)/\(emission.sessionID)"
        var leadID = leads[cacheKey]
        if leadID == nil, let sessionField = settings.crmLeadFields["session_id"] {
            leadID = try await kommo.findLeads(query: emission.sessionID).first { $0.fields[sessionField]?.contains(emission.sessionID) == true }?.id
        }
        let plan = KommoPlan(emission, settings: settings)
        var action: String
        if let existing = leadID {
            if let patch = try plan.patch(lead: existing) { try await kommo.updateLead(patch) }
            action = "updated"
        } else {
            var contactID: Int?
            if let field = settings.crmPhoneHashField, !emission.phoneHash.isEmpty {
                contactID = try await kommo.findContacts(query: emission.phoneHash).first { $0.fields[field]?.contains(emission.phoneHash) == true }?.id
            }
            let phone = Phone.isHash(emission.phoneHash) ? await phoneNumber(record.item.tenant, record.item.lane) : nil
            if contactID == nil, let phone {
                contactID = try await kommo.findContacts(query: phone).first { contact in
                    contact.fields["PHONE"]?.contains { Phone.normalize($0) == phone } == true
                }?.id
            }
            leadID = try await kommo.createLead(try plan.newLead(contactID: contactID, phone: phone))
            action = contactID == nil ? "created with a new contact" : "created for contact \(contactID ?? 0)"
        }
        guard let lead = leadID else { throw DeliveryError.permanent("crm: no lead id") }
        leads[cacheKey] = lead
        if let note = emission.crmNote, !note.isEmpty { try await kommo.addNote(lead: lead, text: note) }
        logger.info("crm lead \(action)", metadata: ["tenant": "\(record.item.tenant)", "session": "\(emission.sessionID)",
                                                    "lead": "\(lead)", "event": "\(emission.event)", "stage": "\(emission.crmStage ?? "-")"])
        return "kommo lead \(lead)"
    }
}

/// The Kommo bodies for one emission.
struct KommoPlan {
    var emission: Emission
    var settings: TenantSinkSettings

    init(_ emission: Emission, settings: TenantSinkSettings) {
        self.emission = emission
        self.settings = settings
    }

    /// `cf_*` values by field id (names without an id in tenant.yaml are left out).
    var customFields: [[String: Any]] {
        emission.crmFields.sorted { $0.key < $1.key }.compactMap { name, value in
            settings.crmFieldIDs[name].map { KommoJSON.field($0, value) }
        }
    }

    /// The attribution fields of a new lead.
    var leadFields: [[String: Any]] {
        settings.crmLeadFields.sorted { $0.key < $1.key }.compactMap { name, id in
            let value: String? = switch name {
            case "session_id": emission.sessionID
            case "entry": emission.entry
            case "subscriber_id": emission.subscriberID
            default: emission.attribution[name]
            }
            return value.flatMap { $0.isEmpty ? nil : KommoJSON.field(id, $0) }
        }
    }

    func statusID(_ stage: String?) -> Int? {
        stage.flatMap { settings.crmStageIDs[$0] }.flatMap { Int($0) }
    }

    func newLead(contactID: Int?, phone: String? = nil) throws -> KommoBody {
        var lead: [String: Any] = ["name": "WhatsApp lead \(emission.subscriberID.prefix(8))"]
        if let pipeline = settings.crmPipelineID.flatMap({ Int($0) }) { lead["pipeline_id"] = pipeline }
        if let status = statusID(emission.crmStage ?? "New") { lead["status_id"] = status }
        if let value = emission.value { lead["price"] = Int(value.rounded()) }
        let fields = leadFields + customFields
        if !fields.isEmpty { lead["custom_fields_values"] = fields }
        var embedded: [String: Any] = [:]
        if !emission.crmTags.isEmpty { embedded["tags"] = KommoJSON.tags(emission.crmTags) }
        if let contactID {
            embedded["contacts"] = [["id": contactID]]
        } else {
            var fields: [[String: Any]] = []
            if let phone {
                fields.append(["field_code": "PHONE", "values": [["value": "+\(phone)", "enum_code": "MOB"]]])
            }
            if let field = settings.crmPhoneHashField, !emission.phoneHash.isEmpty {
                fields.append(KommoJSON.field(field, emission.phoneHash))
            }
            if !fields.isEmpty {
                embedded["contacts"] = [["first_name": "WhatsApp \(emission.subscriberID.prefix(8))", "custom_fields_values": fields]]
            }
        }
        if !embedded.isEmpty { lead["_embedded"] = embedded }
        return try KommoBody(lead)
    }

    /// The update of an existing lead; nil when there is nothing to change.
    func patch(lead: Int) throws -> KommoBody? {
        var patch: [String: Any] = ["id": lead]
        if let status = statusID(emission.crmStage) { patch["status_id"] = status }
        if let value = emission.value { patch["price"] = Int(value.rounded()) }
        let fields = customFields
        if !fields.isEmpty { patch["custom_fields_values"] = fields }
        if !emission.crmTags.isEmpty { patch["tags_to_add"] = KommoJSON.tags(emission.crmTags) }
        return patch.count > 1 ? try KommoBody(patch) : nil
    }
}
