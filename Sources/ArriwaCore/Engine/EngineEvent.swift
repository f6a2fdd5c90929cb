/// What happened to a session: the engine's only input besides the state and the clock.
public enum EngineEvent: Sendable, Hashable, Codable {
    /// The lead wrote (text, a tapped button or list row, a template quick reply, media).
    case inbound(InboundMessage)
    /// A provider delivery status for a message the session sent.
    case status(DeliveryStatus)
    /// A timer the engine scheduled came due.
    case timer(TimerFired)
    /// Something outside the chat happened (e.g. `payment.completed`).
    case external(ExternalEvent)
    /// A human operator acted on the conversation.
    case operatorAction(OperatorAction)
}

/// The lead's identity as the runtime knows it. The phone is never here, only its hash.
public struct Contact: Sendable, Hashable, Codable {
    /// The subscriber's UUID: found again by phone hash for a returning lead, else new.
    public var subscriberID: String
    public var phoneHash: String
    public var profileName: String?
    public var language: String?
    public var country: String?
    public var timezone: String?

    public init(subscriberID: String, phoneHash: String, profileName: String? = nil, language: String? = nil,
                country: String? = nil, timezone: String? = nil) {
        self.subscriberID = subscriberID
        self.phoneHash = phoneHash
        self.profileName = profileName
        self.language = language
        self.country = country
        self.timezone = timezone
    }
}

public struct InboundMessage: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// Plain text.
        case text
        /// An interactive reply button tap.
        case button
        /// An interactive list row choice.
        case list
        /// A template's quick-reply button.
        case templateReply = "template_reply"
        /// Image, audio, video, document or sticker (with an optional caption).
        case media
        /// Anything the channel could not map (stored, classified as noise).
        case other
    }

    /// The provider's message id (the inbox's dedupe key).
    public var id: String
    public var kind: Kind
    public var text: String
    public var replyID: String?
    public var replyTitle: String?
    public var caption: String?
    public var mediaType: String?
    /// Unix milliseconds (the provider's timestamp).
    public var receivedAt: Int64
    public var contact: Contact
    /// The click-to-WhatsApp referral's parsed fields (ctwa_clid, source_id, source_url, ...).
    public var referral: [String: String]?
    /// The referral block exactly as the provider sent it (JSON), kept untouched.
    public var referralRaw: String?

    public init(id: String, kind: Kind = .text, text: String, replyID: String? = nil, replyTitle: String? = nil,
                caption: String? = nil, mediaType: String? = nil, receivedAt: Int64, contact: Contact,
                referral: [String: String]? = nil, referralRaw: String? = nil) {
        self.id = id
        self.kind = kind
        self.text = text
        self.replyID = replyID
        self.replyTitle = replyTitle
        self.caption = caption
        self.mediaType = mediaType
        self.receivedAt = receivedAt
        self.contact = contact
        self.referral = referral
        self.referralRaw = referralRaw
    }

    /// What a classifier and code-word matching read: the text, else the tapped title, else the caption.
    public var effectiveText: String {
        if !text.isEmpty { return text }
        if let replyTitle, !replyTitle.isEmpty { return replyTitle }
        return caption ?? ""
    }
}

public struct DeliveryStatus: Sendable, Hashable, Codable {
    public enum State: String, Sendable, Hashable, Codable, Comparable {
        case sent, delivered, read, failed

        var rank: Int {
            switch self {
            case .sent: 1
            case .delivered: 2
            case .read: 3
            case .failed: 0
            }
        }

        public static func < (lhs: State, rhs: State) -> Bool { lhs.rank < rhs.rank }
    }

    /// Our outbound message id (`OutboundMessage.id`); the runtime maps the provider's id to it.
    public var messageID: String
    public var state: State
    /// Unix milliseconds (the provider's timestamp).
    public var at: Int64
    /// The provider's error code for `failed` (e.g. 131047 outside the 24-hour window).
    public var errorCode: Int?
    public var errorTitle: String?

    public init(messageID: String, state: State, at: Int64, errorCode: Int? = nil, errorTitle: String? = nil) {
        self.messageID = messageID
        self.state = state
        self.at = at
        self.errorCode = errorCode
        self.errorTitle = errorTitle
    }
}

public struct TimerFired: Sendable, Hashable, Codable {
    public var timer: TimerSpec

    public init(_ timer: TimerSpec) {
        self.timer = timer
    }
}

public struct ExternalEvent: Sendable, Hashable, Codable {
    /// e.g. `payment.completed`.
    public var name: String
    public var payload: [String: Value]
    public var at: Int64

    public init(name: String, payload: [String: Value] = [:], at: Int64) {
        self.name = name
        self.payload = payload
        self.at = at
    }
}

public struct OperatorAction: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// The operator closed the handover: the bot takes over again.
        case close
    }

    public var kind: Kind
    public var operatorID: String?
    public var at: Int64

    public init(kind: Kind, operatorID: String? = nil, at: Int64) {
        self.kind = kind
        self.operatorID = operatorID
        self.at = at
    }
}
