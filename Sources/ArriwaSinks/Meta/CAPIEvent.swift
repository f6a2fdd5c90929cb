public import ArriwaCore
import Foundation

/// One event of a Conversions API request (`data[]`), as Meta's business-messaging guide shows it:
/// event_name, event_time (Unix seconds), event_id (our outbox key), action_source,
/// messaging_channel, user_data {whatsapp_business_account_id, ctwa_clid, ph?}, custom_data.
public struct CAPIEvent: Sendable, Hashable, Encodable {
    public struct UserData: Sendable, Hashable, Encodable {
        public var whatsappBusinessAccountID: String?
        public var ctwaClid: String?
        /// SHA-256 of the normalized phone; only when the tenant opts in (`conversions.hash_phone`).
        public var ph: [String]?

        enum CodingKeys: String, CodingKey {
            case whatsappBusinessAccountID = "whatsapp_business_account_id"
            case ctwaClid = "ctwa_clid"
            case ph
        }
    }

    /// A custom_data value: Meta takes numbers and strings.
    public enum CustomValue: Sendable, Hashable, Encodable {
        case number(Double)
        case string(String)

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .number(let value): try container.encode(value)
            case .string(let value): try container.encode(value)
            }
        }
    }

    public var eventName: String
    public var eventTime: Int64
    public var eventID: String
    public var actionSource: String
    public var messagingChannel: String?
    public var userData: UserData
    public var customData: [String: CustomValue]?

    enum CodingKeys: String, CodingKey {
        case eventName = "event_name"
        case eventTime = "event_time"
        case eventID = "event_id"
        case actionSource = "action_source"
        case messagingChannel = "messaging_channel"
        case userData = "user_data"
        case customData = "custom_data"
    }

    /// The event for `emission` sent as `eventName` with the stream's action source. Custom data:
    /// the flow's `data:` values (numbers stay numbers), `value` and `currency` (upper-cased).
    public init(_ emission: Emission, eventName: String, actionSource: String, businessAccountID: String?, hashPhone: Bool) {
        self.eventName = eventName
        eventTime = emission.eventTime / 1000
        eventID = emission.key
        self.actionSource = actionSource
        let messaging = actionSource == "business_messaging"
        messagingChannel = messaging ? "whatsapp" : nil
        userData = UserData(whatsappBusinessAccountID: messaging ? businessAccountID : nil,
                            ctwaClid: messaging ? emission.attribution["ctwa_clid"] : nil,
                            ph: hashPhone && Phone.isHash(emission.phoneHash) ? [emission.phoneHash] : nil)
        var custom: [String: CustomValue] = [:]
        for (key, value) in emission.data {
            custom[key] = Double(value).map(CustomValue.number) ?? .string(value)
        }
        if let value = emission.value { custom["value"] = .number(value) }
        if let currency = emission.currency { custom["currency"] = .string(currency.uppercased()) }
        customData = custom.isEmpty ? nil : custom
    }
}

/// The request body: `{"data": [...], "partner_agent": ...}`.
struct CAPIRequest: Encodable {
    var data: [CAPIEvent]
    var partnerAgent: String?

    enum CodingKeys: String, CodingKey {
        case data
        case partnerAgent = "partner_agent"
    }

    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}

/// Meta's answer to an events request: `{"events_received": n, "messages": [], "fbtrace_id": "…"}`.
struct CAPIResponse: Decodable {
    var eventsReceived: Int?
    var messages: [String]?
    var fbtraceID: String?

    enum CodingKeys: String, CodingKey {
        case eventsReceived = "events_received"
        case messages
        case fbtraceID = "fbtrace_id"
    }
}
