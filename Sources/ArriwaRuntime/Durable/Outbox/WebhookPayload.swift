public import ArriwaCore
public import ArriwaStore
public import Foundation

/// The JSON body a `WebhookSink` posts: one outbox row, its effect under `emission`, `handover`
/// or `message`. Phones appear only as hashes.
public struct WebhookPayload: Sendable, Codable, Hashable {
    public var tenant: String
    public var destination: String
    /// The idempotency key (also in the `Idempotency-Key` header).
    public var key: String
    public var sessionID: String
    /// `emit`, `handover` or `send`.
    public var kind: String
    public var attempt: Int
    public var redelivery: Bool
    public var emission: Emission?
    public var handover: Handover?
    public var message: OutboundMessage?

    enum CodingKeys: String, CodingKey {
        case tenant, destination, key, kind, attempt, redelivery, emission, handover, message
        case sessionID = "session_id"
    }

    public init(_ record: OutboxRecord) {
        tenant = record.item.tenant
        destination = record.item.destination
        key = record.item.key
        sessionID = record.item.sessionID
        attempt = record.attempts
        redelivery = record.isRedelivery
        switch record.item.effect {
        case .emit(let value):
            kind = "emit"
            emission = value
        case .handover(let value):
            kind = "handover"
            handover = value
        case .send(let value):
            kind = "send"
            message = value
        default:
            kind = "other"
        }
    }

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
