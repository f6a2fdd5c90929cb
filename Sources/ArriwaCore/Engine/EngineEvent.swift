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

/// A lead's message as a channel hands it to the engine.
///
/// The fields live in one heap box shared copy-on-write (as `OutboundMessage`'s): the event, the
/// turn and the runtime's records hold one reference each instead of copying ~16 strings. Same
/// public properties; the Codable form, equality and hashing are those of the fields.
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

    /// The stored fields; their names are the Codable keys.
    struct Fields: Sendable, Hashable, Codable {
        var id: String
        var kind: Kind
        var text: String
        var replyID: String?
        var replyTitle: String?
        var caption: String?
        var mediaType: String?
        var receivedAt: Int64
        var contact: Contact
        var referral: [String: String]?
        var referralRaw: String?
    }

    typealias Box = CopyOnWriteBox<Fields>

    private var box: Box

    /// Makes the box this value's own before a write (copy-on-write).
    @inline(__always)
    private mutating func unique() {
        Box.makeUnique(&box)
    }

    /// The provider's message id (the inbox's dedupe key).
    public var id: String {
        _read { yield box.fields.id }
        _modify {
            unique()
            yield &box.fields.id
        }
    }
    public var kind: Kind {
        _read { yield box.fields.kind }
        _modify {
            unique()
            yield &box.fields.kind
        }
    }
    public var text: String {
        _read { yield box.fields.text }
        _modify {
            unique()
            yield &box.fields.text
        }
    }
    public var replyID: String? {
        _read { yield box.fields.replyID }
        _modify {
            unique()
            yield &box.fields.replyID
        }
    }
    public var replyTitle: String? {
        _read { yield box.fields.replyTitle }
        _modify {
            unique()
            yield &box.fields.replyTitle
        }
    }
    public var caption: String? {
        _read { yield box.fields.caption }
        _modify {
            unique()
            yield &box.fields.caption
        }
    }
    public var mediaType: String? {
        _read { yield box.fields.mediaType }
        _modify {
            unique()
            yield &box.fields.mediaType
        }
    }
    /// Unix milliseconds (the provider's timestamp).
    public var receivedAt: Int64 {
        _read { yield box.fields.receivedAt }
        _modify {
            unique()
            yield &box.fields.receivedAt
        }
    }
    public var contact: Contact {
        _read { yield box.fields.contact }
        _modify {
            unique()
            yield &box.fields.contact
        }
    }
    /// The click-to-WhatsApp referral's parsed fields (ctwa_clid, source_id, source_url, ...).
    public var referral: [String: String]? {
        _read { yield box.fields.referral }
        _modify {
            unique()
            yield &box.fields.referral
        }
    }
    /// The referral block exactly as the provider sent it (JSON), kept untouched.
    public var referralRaw: String? {
        _read { yield box.fields.referralRaw }
        _modify {
            unique()
            yield &box.fields.referralRaw
        }
    }

    public init(id: String, kind: Kind = .text, text: String, replyID: String? = nil, replyTitle: String? = nil,
                caption: String? = nil, mediaType: String? = nil, receivedAt: Int64, contact: Contact,
                referral: [String: String]? = nil, referralRaw: String? = nil) {
        box = Box(Fields(id: id, kind: kind, text: text, replyID: replyID, replyTitle: replyTitle, caption: caption,
                         mediaType: mediaType, receivedAt: receivedAt, contact: contact, referral: referral,
                         referralRaw: referralRaw))
    }

    /// What a classifier and code-word matching read: the text, else the tapped title, else the caption.
    public var effectiveText: String {
        if !box.fields.text.isEmpty { return box.fields.text }
        if let replyTitle = box.fields.replyTitle, !replyTitle.isEmpty { return replyTitle }
        return box.fields.caption ?? ""
    }

    public static func == (lhs: InboundMessage, rhs: InboundMessage) -> Bool {
        lhs.box === rhs.box || lhs.box.fields == rhs.box.fields
    }

    public func hash(into hasher: inout Hasher) {
        box.fields.hash(into: &hasher)
    }

    public init(from decoder: any Decoder) throws {
        box = Box(try Fields(from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        try box.fields.encode(to: encoder)
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
