import Foundation

/// The provider-neutral inbound webhook body (`POST /v1/tenants/{tenant}/inbound`): messages from
/// leads and delivery statuses of our messages. A provider adapter (Cloud API, 360dialog, Evolution)
/// maps its own webhook to this. See docs/operations.md.
///
/// ```json
/// {"messages": [{"id": "wamid.A1", "from": "+79991234567", "type": "text", "text": "Hi",
///                "timestamp": 1772442000, "profile_name": "Anna", "language": "en",
///                "referral": {"ctwa_clid": "…", "source_id": "…", "source_url": "…"}}],
///  "statuses": [{"id": "wamid.B2", "status": "delivered", "timestamp": 1772442005}]}
/// ```
public struct InboundPayload: Sendable, Decodable {
    public struct Reply: Sendable, Decodable {
        public var id: String?
        public var title: String?
    }

    public struct Message: Sendable, Decodable {
        public var id: String
        /// E.164 phone; hashed at once, never stored or logged.
        public var from: String
        /// text (default), button, list, template_reply, media, other.
        public var type: String?
        public var text: String?
        public var reply: Reply?
        public var caption: String?
        public var mediaType: String?
        /// Unix seconds (or milliseconds); the receive time when absent.
        public var timestamp: FlexibleInt?
        public var profileName: String?
        public var language: String?
        /// The click-to-WhatsApp referral block, kept as sent.
        public var referral: [String: JSONScalar]?

        enum CodingKeys: String, CodingKey {
            case id, from, type, text, reply, caption, timestamp, language, referral
            case mediaType = "media_type"
            case profileName = "profile_name"
        }
    }

    public struct Status: Sendable, Decodable {
        /// The message id: ours or the provider's (wamid) as the channel reported it.
        public var id: String
        /// sent, delivered, read, failed.
        public var status: String
        public var timestamp: FlexibleInt?
        public var errorCode: Int?
        public var errorTitle: String?

        enum CodingKeys: String, CodingKey {
            case id, status, timestamp
            case errorCode = "error_code"
            case errorTitle = "error_title"
        }
    }

    public var messages: [Message]?
    public var statuses: [Status]?
}

/// An integer sent as a number or a string of digits (WhatsApp sends timestamps as strings).
public struct FlexibleInt: Sendable, Decodable, Hashable {
    public var value: Int64

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int64.self) {
            value = number
        } else if let text = try? container.decode(String.self), let number = Int64(text) {
            value = number
        } else {
            throw DecodingError.typeMismatch(Int64.self, .init(codingPath: decoder.codingPath,
                                                               debugDescription: "expected an integer (or a string of digits)"))
        }
    }

    /// Unix milliseconds: values below 10^11 are taken as seconds.
    public var milliseconds: Int64 { value < 100_000_000_000 ? value * 1000 : value }
}

/// Any JSON value, kept to re-encode a referral block and to read its scalar fields.
public indirect enum JSONScalar: Sendable, Codable, Hashable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case object([String: JSONScalar])
    case array([JSONScalar])
    case null

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([String: JSONScalar].self) {
            self = .object(value)
        } else {
            self = .array(try container.decode([JSONScalar].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .null: try container.encodeNil()
        }
    }

    /// A scalar as text (integers without a fraction); nil for objects, arrays and null.
    public var text: String? {
        switch self {
        case .string(let value): value
        case .number(let value): value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        case .bool(let value): value ? "true" : "false"
        case .object, .array, .null: nil
        }
    }
}
