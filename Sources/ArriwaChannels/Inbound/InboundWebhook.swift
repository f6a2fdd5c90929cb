public import ArriwaCore

/// The WhatsApp providers whose webhooks the server reads.
public enum WebhookProvider: String, Sendable, Hashable, CaseIterable {
    /// Meta's WhatsApp Cloud API (signed with X-Hub-Signature-256).
    case cloud
    /// Gupshup: v2 `message` / `message-event` callbacks, or the v3 Meta passthrough.
    case gupshup
    /// Evolution API (Baileys): `messages.upsert`.
    case evolution

    /// Parses one webhook body of this provider. Pure: no I/O, never traps.
    /// - Parameter now: Unix milliseconds, used when a message carries no usable timestamp.
    public func parse(_ body: [UInt8], now: Int64) -> WebhookParse {
        let root: WebhookJSON
        do {
            root = try WebhookJSON.parse(body)
        } catch {
            return WebhookParse(unreadable: WebhookFieldError(field: "body", error.description))
        }
        guard case .object = root else {
            return WebhookParse(unreadable: WebhookFieldError(field: "body", "is not a JSON object"))
        }
        var parse = WebhookParse()
        switch self {
        case .cloud: CloudWebhookParser.parse(root, body: body, now: now, into: &parse)
        case .gupshup: GupshupWebhookParser.parse(root, body: body, now: now, into: &parse)
        case .evolution: EvolutionWebhookParser.parse(root, body: body, now: now, into: &parse)
        }
        return parse
    }
}

/// What one webhook body held: messages from leads, statuses of our messages, items refused with
/// the field at fault, and whole parts skipped with a reason (unknown shapes, echoes, events that
/// are not deliveries).
public struct WebhookParse: Sendable, Hashable {
    public var messages: [LeadMessage] = []
    public var statuses: [ProviderStatus] = []
    /// Items that could not be read (a message without an id, a status without a state…).
    public var rejected: [WebhookFieldError] = []
    /// Parts acknowledged and skipped, with the reason (`unknown shape`, `fromMe echo`…).
    public var ignored: [String] = []
    /// Set when the body as a whole is unusable (not JSON, not an object): answered with 400.
    public var unreadable: WebhookFieldError?

    public init() {}

    init(unreadable: WebhookFieldError) {
        self.unreadable = unreadable
    }

    /// True when nothing in the body is usable and something in it was wrong (answered with 400).
    public var isMalformed: Bool {
        unreadable != nil || (messages.isEmpty && statuses.isEmpty && !rejected.isEmpty)
    }
}

/// A body part that could not be read: the JSON path of the field and why.
public struct WebhookFieldError: Error, Sendable, Hashable, CustomStringConvertible {
    /// e.g. `entry[0].changes[0].value.messages[1].from`.
    public var field: String
    public var reason: String

    public init(field: String, _ reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String { "\(field): \(reason)" }
}

/// A lead's message: the engine's event (its contact's `phoneHash` is the lane) and the address to
/// answer on, which only the contact store sees, sealed.
public struct LeadMessage: Sendable, Hashable {
    public var message: InboundMessage
    public var address: LeadAddress

    public init(message: InboundMessage, address: LeadAddress) {
        self.message = message
        self.address = address
    }
}

/// A delivery status as the provider reported it, still carrying the provider's message id.
public struct ProviderStatus: Sendable, Hashable {
    /// The ids to look the message up by, most specific first (Cloud: the wamid; Gupshup: its own
    /// message id, then the WhatsApp id).
    public var providerMessageIDs: [String]
    public var state: DeliveryStatus.State
    /// Unix milliseconds.
    public var at: Int64
    public var errorCode: Int?
    public var errorTitle: String?

    public init(providerMessageIDs: [String], state: DeliveryStatus.State, at: Int64, errorCode: Int? = nil, errorTitle: String? = nil) {
        self.providerMessageIDs = providerMessageIDs
        self.state = state
        self.at = at
        self.errorCode = errorCode
        self.errorTitle = errorTitle
    }

    /// The engine's status for our message `messageID` (the one the provider's id maps to).
    public func deliveryStatus(messageID: String) -> DeliveryStatus {
        DeliveryStatus(messageID: messageID, state: state, at: at, errorCode: errorCode, errorTitle: errorTitle)
    }
}
