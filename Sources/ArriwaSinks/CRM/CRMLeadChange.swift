public import Foundation

/// A lead change a CRM webhook reports: its id, status and custom field values.
public struct CRMLeadChange: Sendable, Hashable {
    public var leadID: String
    public var statusID: String?
    /// Field id → values.
    public var fields: [String: [String]]

    public init(leadID: String, statusID: String? = nil, fields: [String: [String]] = [:]) {
        self.leadID = leadID
        self.statusID = statusID
        self.fields = fields
    }

    /// Kommo's webhook body (application/x-www-form-urlencoded): `leads[status|update|add][i][id]`,
    /// `[status_id]`, `[custom_fields][j][id]`, `[custom_fields][j][values][k][value]`.
    public static func parseKommoForm(_ body: String) -> [CRMLeadChange] {
        var leads: [String: CRMLeadChange] = [:]
        var order: [String] = []
        var fieldIDs: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ") }
            guard let name = parts.first?.removingPercentEncoding else { continue }
            let value = parts.count > 1 ? (parts[1].removingPercentEncoding ?? parts[1]) : ""
            let path = name.split(whereSeparator: { $0 == "[" || $0 == "]" }).map(String.init)
            // leads, <kind>, <i>, ...
            guard path.count >= 4, path[0] == "leads" else { continue }
            let lead = "\(path[1])/\(path[2])"
            if leads[lead] == nil {
                leads[lead] = CRMLeadChange(leadID: "")
                order.append(lead)
            }
            switch Array(path.dropFirst(3)) {
            case ["id"]: leads[lead]?.leadID = value
            case ["status_id"]: leads[lead]?.statusID = value
            case let rest where rest.count == 3 && rest[0] == "custom_fields" && rest[2] == "id":
                fieldIDs["\(lead)/\(rest[1])"] = value
            case let rest where rest.count == 5 && rest[0] == "custom_fields" && rest[2] == "values" && rest[4] == "value":
                let key = "\(lead)/\(rest[1])"
                leads[lead]?.fields[key, default: []].append(value)
            default: break
            }
        }
        // Field values were collected under their position; move them under the field ids.
        var result: [CRMLeadChange] = []
        for lead in order {
            guard var change = leads[lead], !change.leadID.isEmpty else { continue }
            var fields: [String: [String]] = [:]
            for (position, values) in change.fields {
                if let id = fieldIDs[position] { fields[id, default: []] += values }
            }
            change.fields = fields
            result.append(change)
        }
        return result
    }

    /// The neutral JSON form: `{"leads": [{"id", "status_id", "fields": {"<id>": "v" | ["v", …]}}]}`.
    public static func parseJSON(_ data: Data) -> [CRMLeadChange]? {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let leads = object["leads"] as? [[String: Any]] else { return nil }
        return leads.compactMap { lead in
            guard let id = text(lead["id"]) else { return nil }
            var fields: [String: [String]] = [:]
            for (key, value) in lead["fields"] as? [String: Any] ?? [:] {
                fields[key] = (value as? [Any]).map { $0.compactMap(text) } ?? text(value).map { [$0] } ?? []
            }
            return CRMLeadChange(leadID: id, statusID: text(lead["status_id"]), fields: fields)
        }
    }

    static func text(_ any: Any?) -> String? {
        if let string = any as? String { return string }
        if let number = any as? Int { return String(number) }
        if let number = any as? Double { return String(number) }
        return nil
    }
}
