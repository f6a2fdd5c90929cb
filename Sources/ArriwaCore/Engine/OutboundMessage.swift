/// A WhatsApp message to send. The 24-hour window decision is already made: `content` is a
/// template exactly when the window was closed.
///
/// The fields live in one heap box shared copy-on-write: the send effect, the session's last
/// outbound message and the outbox hold one reference each instead of copying a dozen fields.
/// Same public properties; the Codable form, equality and hashing are those of the fields.
public struct OutboundMessage: Sendable, Hashable, Codable {
    public enum Purpose: String, Sendable, Hashable, Codable {
        /// A flow's wa.send (question, clarify, re-prompt, any text).
        case flow
        /// A nudge while waiting.
        case nudge
        /// A reply to a code word (stop, pause, start, operator).
        case codeWord = "code_word"
        /// The current step's prompt repeated after `start` (not a new re-prompt).
        case resume
        /// A handover node's message.
        case handover
        /// A resend after a failed delivery.
        case retry
        /// The apology sent when the engine stopped a turn.
        case apology
    }

    /// The stored fields; their names are the Codable keys.
    struct Fields: Sendable, Hashable, Codable {
        var id: String
        var sessionID: String
        var subscriberID: String
        var phoneHash: String
        var origin: String
        var purpose: Purpose
        var content: MessageContent
        var windowOpen: Bool
        var step: String?
        var replaces: String?
        var fallbackTemplate: MessageContent.TemplateMessage?
    }

    typealias Box = CopyOnWriteBox<Fields>

    private var box: Box

    /// Makes the box this value's own before a write (copy-on-write).
    @inline(__always)
    private mutating func unique() {
        Box.makeUnique(&box)
    }

    /// Ours, unique: `{sessionID}-m{n}`. The provider's id is mapped to it by the runtime.
    public var id: String {
        _read { yield box.fields.id }
        _modify {
            unique()
            yield &box.fields.id
        }
    }
    public var sessionID: String {
        _read { yield box.fields.sessionID }
        _modify {
            unique()
            yield &box.fields.sessionID
        }
    }
    public var subscriberID: String {
        _read { yield box.fields.subscriberID }
        _modify {
            unique()
            yield &box.fields.subscriberID
        }
    }
    public var phoneHash: String {
        _read { yield box.fields.phoneHash }
        _modify {
            unique()
            yield &box.fields.phoneHash
        }
    }
    /// `flow/node` that sent it, or the code word / mechanism.
    public var origin: String {
        _read { yield box.fields.origin }
        _modify {
            unique()
            yield &box.fields.origin
        }
    }
    public var purpose: Purpose {
        _read { yield box.fields.purpose }
        _modify {
            unique()
            yield &box.fields.purpose
        }
    }
    public var content: MessageContent {
        _read { yield box.fields.content }
        _modify {
            unique()
            yield &box.fields.content
        }
    }
    /// True when sent as free-form inside the 24-hour window.
    public var windowOpen: Bool {
        _read { yield box.fields.windowOpen }
        _modify {
            unique()
            yield &box.fields.windowOpen
        }
    }
    /// The manifest step this message asks, if any.
    public var step: String? {
        _read { yield box.fields.step }
        _modify {
            unique()
            yield &box.fields.step
        }
    }
    /// For retries: the message this one replaces.
    public var replaces: String? {
        _read { yield box.fields.replaces }
        _modify {
            unique()
            yield &box.fields.replaces
        }
    }
    /// The template to switch to if the provider reports the window closed (131047).
    public var fallbackTemplate: MessageContent.TemplateMessage? {
        _read { yield box.fields.fallbackTemplate }
        _modify {
            unique()
            yield &box.fields.fallbackTemplate
        }
    }

    public init(id: String, sessionID: String, subscriberID: String, phoneHash: String, origin: String, purpose: Purpose,
                content: MessageContent, windowOpen: Bool, step: String? = nil, replaces: String? = nil,
                fallbackTemplate: MessageContent.TemplateMessage? = nil) {
        box = Box(Fields(id: id, sessionID: sessionID, subscriberID: subscriberID, phoneHash: phoneHash, origin: origin,
                         purpose: purpose, content: content, windowOpen: windowOpen, step: step, replaces: replaces,
                         fallbackTemplate: fallbackTemplate))
    }

    public static func == (lhs: OutboundMessage, rhs: OutboundMessage) -> Bool {
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
