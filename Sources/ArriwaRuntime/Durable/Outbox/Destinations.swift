import ArriwaCore
import ArriwaStore

/// Where outbox rows go, by `OutboxItem.destination`: `channel` → the WhatsApp channel,
/// `handover` → the handover adapter, anything else → the sink of that name (or `fallback`).
public struct Destinations: Sendable {
    public var channel: any Channel
    public var handover: any Sink
    public var sinks: [String: any Sink]
    /// For sink names nothing is registered for (e.g. `capi` before its sink exists); nil makes
    /// such rows dead letters at once.
    public var fallback: (any Sink)?

    public init(channel: any Channel = RecordingChannel(), handover: any Sink = LogSink(), sinks: [String: any Sink] = [:],
                fallback: (any Sink)? = LogSink()) {
        self.channel = channel
        self.handover = handover
        self.sinks = sinks
        self.fallback = fallback
    }

    /// What a delivery produced: the remote id, and for a channel send the message id it was for.
    struct Delivered: Sendable {
        var remoteID: String?
        var sentMessageID: String?
    }

    func deliver(_ record: OutboxRecord) async throws -> Delivered {
        switch record.item.destination {
        case OutboxDestination.channel:
            guard case .send(let message) = record.item.effect else {
                throw DeliveryError.permanent("channel row \(record.id) does not carry a send")
            }
            let wamid = try await channel.send(message, tenant: record.item.tenant, idempotencyKey: record.item.key,
                                               redelivery: record.isRedelivery)
            return Delivered(remoteID: wamid, sentMessageID: message.id)
        case OutboxDestination.handover:
            return Delivered(remoteID: try await handover.deliver(record))
        case let name:
            guard let sink = sinks[name] ?? fallback else {
                throw DeliveryError.permanent("no sink is configured for destination '\(name)'")
            }
            return Delivered(remoteID: try await sink.deliver(record))
        }
    }

    /// Tells the destination that `record` is given up after its last transient failure (see
    /// `Channel.abandon`); only channel rows have anyone to tell.
    func abandon(_ record: OutboxRecord, lastError: DeliveryError) async throws {
        guard record.item.destination == OutboxDestination.channel, case .send(let message) = record.item.effect else { return }
        try await channel.abandon(message, tenant: record.item.tenant, attempts: record.attempts, lastError: lastError)
    }
}
