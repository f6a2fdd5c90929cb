public import ArriwaCore

/// Conversion levels from CRM changes (tenant.yaml `crm.levels`): a level is reached when any of
/// its conditions holds (OR) — `status_id` in the listed ids, or a field (a `crm.fields` name or
/// a field id) holding one of the listed values. Each reached level becomes the external event
/// `conversion.level` for the lead's session; the engine emits it once per lead.
public enum ConversionLevels {
    /// The external event name the engine turns into a once-per-lead emission.
    public static let externalEvent = "conversion.level"

    /// The levels `change` reaches, lowest first.
    public static func reached(by change: CRMLeadChange, settings: TenantSinkSettings) -> [TenantSinkSettings.Level] {
        settings.crmLevels.filter { level in
            level.when.contains { key, values in
                let actual: [String]
                if key == "status_id" {
                    actual = change.statusID.map { [$0] } ?? []
                } else {
                    actual = change.fields[settings.crmFieldIDs[key] ?? key] ?? []
                }
                return actual.contains { values.contains($0) }
            }
        }
    }

    /// The session a change belongs to: the value of the `session_id` lead field.
    public static func sessionID(of change: CRMLeadChange, settings: TenantSinkSettings) -> String? {
        settings.crmLeadFields["session_id"].flatMap { change.fields[$0]?.first }
    }

    public static func event(_ level: TenantSinkSettings.Level, sessionID: String, leadID: String, at: Int64) -> ExternalEvent {
        ExternalEvent(name: externalEvent, payload: ["session_id": .string(sessionID), "level": .int(Int64(level.level)),
                                                     "event": .string(level.event), "crm_lead_id": .string(leadID)], at: at)
    }
}
