/// A conversion event for the sinks. `key` is the idempotency key (the outbox's UNIQUE event id).
///
/// The fields live in one heap box shared copy-on-write (as `OutboundMessage`): the emit effect
/// and whoever copies it hold one reference instead of ~25 fields. Same public properties; the
/// Codable form, equality and hashing are those of the fields.
public struct Emission: Sendable, Hashable, Codable {
    public enum Stream: String, Sendable, Hashable, Codable {
        case GOOD, NOISE
    }

    /// The stored fields; their names are the Codable keys.
    struct Fields: Sendable, Hashable, Codable {
        var key: String
        var event: String
        var stream: Stream
        var sinks: [String]
        var sessionID: String
        var subscriberID: String
        var phoneHash: String
        var eventTime: Int64
        var origin: String
        var step: String?
        var answer: String?
        var answerRaw: String?
        var confidence: Double?
        var value: Double?
        var currency: String?
        var data: [String: String]
        var audiencesAdd: [String]
        var audiencesRemove: [String]
        var crmFields: [String: String]
        var crmTags: [String]
        var crmNote: String?
        var crmStage: String?
        var attribution: [String: String]
        var entry: String
    }

    typealias Box = CopyOnWriteBox<Fields>

    private var box: Box

    /// Makes the box this value's own before a write (copy-on-write).
    @inline(__always)
    private mutating func unique() {
        Box.makeUnique(&box)
    }

    public var key: String {
        _read { yield box.fields.key }
        _modify {
            unique()
            yield &box.fields.key
        }
    }
    /// The funnel's event name (QUALIFY_Q1, QUALIFY_COMPLETE, ...); sinks map it to Meta's names.
    public var event: String {
        _read { yield box.fields.event }
        _modify {
            unique()
            yield &box.fields.event
        }
    }
    public var stream: Stream {
        _read { yield box.fields.stream }
        _modify {
            unique()
            yield &box.fields.stream
        }
    }
    /// capi, audiences, crm, webhook.
    public var sinks: [String] {
        _read { yield box.fields.sinks }
        _modify {
            unique()
            yield &box.fields.sinks
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
    /// Unix milliseconds.
    public var eventTime: Int64 {
        _read { yield box.fields.eventTime }
        _modify {
            unique()
            yield &box.fields.eventTime
        }
    }
    public var origin: String {
        _read { yield box.fields.origin }
        _modify {
            unique()
            yield &box.fields.origin
        }
    }
    public var step: String? {
        _read { yield box.fields.step }
        _modify {
            unique()
            yield &box.fields.step
        }
    }
    public var answer: String? {
        _read { yield box.fields.answer }
        _modify {
            unique()
            yield &box.fields.answer
        }
    }
    public var answerRaw: String? {
        _read { yield box.fields.answerRaw }
        _modify {
            unique()
            yield &box.fields.answerRaw
        }
    }
    public var confidence: Double? {
        _read { yield box.fields.confidence }
        _modify {
            unique()
            yield &box.fields.confidence
        }
    }
    public var value: Double? {
        _read { yield box.fields.value }
        _modify {
            unique()
            yield &box.fields.value
        }
    }
    public var currency: String? {
        _read { yield box.fields.currency }
        _modify {
            unique()
            yield &box.fields.currency
        }
    }
    public var data: [String: String] {
        _read { yield box.fields.data }
        _modify {
            unique()
            yield &box.fields.data
        }
    }
    public var audiencesAdd: [String] {
        _read { yield box.fields.audiencesAdd }
        _modify {
            unique()
            yield &box.fields.audiencesAdd
        }
    }
    public var audiencesRemove: [String] {
        _read { yield box.fields.audiencesRemove }
        _modify {
            unique()
            yield &box.fields.audiencesRemove
        }
    }
    public var crmFields: [String: String] {
        _read { yield box.fields.crmFields }
        _modify {
            unique()
            yield &box.fields.crmFields
        }
    }
    public var crmTags: [String] {
        _read { yield box.fields.crmTags }
        _modify {
            unique()
            yield &box.fields.crmTags
        }
    }
    public var crmNote: String? {
        _read { yield box.fields.crmNote }
        _modify {
            unique()
            yield &box.fields.crmNote
        }
    }
    public var crmStage: String? {
        _read { yield box.fields.crmStage }
        _modify {
            unique()
            yield &box.fields.crmStage
        }
    }
    /// The session's immutable attribution (ctwa_clid, campaign_id, utm_*, ...).
    public var attribution: [String: String] {
        _read { yield box.fields.attribution }
        _modify {
            unique()
            yield &box.fields.attribution
        }
    }
    public var entry: String {
        _read { yield box.fields.entry }
        _modify {
            unique()
            yield &box.fields.entry
        }
    }

    public init(key: String, event: String, stream: Stream, sinks: [String], sessionID: String, subscriberID: String,
                phoneHash: String, eventTime: Int64, origin: String, step: String? = nil, answer: String? = nil,
                answerRaw: String? = nil, confidence: Double? = nil, value: Double? = nil, currency: String? = nil,
                data: [String: String] = [:], audiencesAdd: [String] = [], audiencesRemove: [String] = [],
                crmFields: [String: String] = [:], crmTags: [String] = [], crmNote: String? = nil, crmStage: String? = nil,
                attribution: [String: String] = [:], entry: String = "organic") {
        box = Box(Fields(
            key: key, event: event, stream: stream, sinks: sinks, sessionID: sessionID, subscriberID: subscriberID,
            phoneHash: phoneHash, eventTime: eventTime, origin: origin, step: step, answer: answer, answerRaw: answerRaw,
            confidence: confidence, value: value, currency: currency, data: data, audiencesAdd: audiencesAdd,
            audiencesRemove: audiencesRemove, crmFields: crmFields, crmTags: crmTags, crmNote: crmNote, crmStage: crmStage,
            attribution: attribution, entry: entry))
    }

    public static func == (lhs: Emission, rhs: Emission) -> Bool {
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
