import Foundation

/// Kommo (amoCRM) API v4 bodies the sink sends and reads (FACTS.md §6, fixture kommo-complex-lead).
enum KommoJSON {
    /// `{field_id | field_code, values: [{value}]}`.
    static func field(_ id: String, _ value: String) -> [String: Any] {
        var object: [String: Any] = ["values": [["value": value]]]
        if let number = Int(id) { object["field_id"] = number } else { object["field_code"] = id }
        return object
    }

    static func tags(_ names: [String]) -> [[String: Any]] { names.map { ["name": $0] } }

    static func encode(_ object: Any) throws -> Data {
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    }

    static func object(_ data: Data) -> Any? {
        data.isEmpty ? nil : try? JSONSerialization.jsonObject(with: data)
    }

    /// The `_embedded.<kind>` entities of a list answer.
    static func embedded(_ data: Data, _ kind: String) -> [[String: Any]] {
        ((object(data) as? [String: Any])?["_embedded"] as? [String: Any])?[kind] as? [[String: Any]] ?? []
    }

    /// The string values of an entity's custom field.
    static func values(of entity: [String: Any], field id: String) -> [String] {
        let fields = entity["custom_fields_values"] as? [[String: Any]] ?? []
        let match = fields.first { field in
            if let number = field["field_id"] as? Int { return String(number) == id }
            return field["field_code"] as? String == id
        }
        return (match?["values"] as? [[String: Any]] ?? []).compactMap { value in
            if let text = value["value"] as? String { return text }
            if let number = value["value"] as? Int { return String(number) }
            return nil
        }
    }

    static func int(_ any: Any?) -> Int? {
        if let number = any as? Int { return number }
        if let text = any as? String { return Int(text) }
        return nil
    }
}

/// A lead or contact as a search answer lists it: its id and custom field values by field id.
struct KommoEntity: Sendable {
    var id: Int
    var fields: [String: [String]]

    init?(_ object: [String: Any]) {
        guard let id = KommoJSON.int(object["id"]) else { return nil }
        self.id = id
        var fields: [String: [String]] = [:]
        // A field is found by its id and, for system fields such as PHONE, by its code too.
        for field in object["custom_fields_values"] as? [[String: Any]] ?? [] {
            let values = (field["values"] as? [[String: Any]] ?? []).compactMap { value -> String? in
                (value["value"] as? String) ?? (value["value"] as? Int).map(String.init)
            }
            if let id = KommoJSON.int(field["field_id"]) { fields[String(id)] = values }
            if let code = field["field_code"] as? String { fields[code] = values }
        }
        self.fields = fields
    }
}

/// A JSON object body built by the sink (kept as JSON text so it can cross concurrency domains).
struct KommoBody: Sendable {
    private let data: Data

    init(_ object: [String: Any]) throws {
        data = try KommoJSON.encode(object)
    }

    var object: Any { KommoJSON.object(data) ?? [:] }
}
