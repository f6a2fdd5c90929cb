public import ArriwaStore
public import Logging

/// Delivers emissions (and handovers) from the outbox to one destination: CAPI, audiences, a CRM,
/// a generic webhook, a log. `record.item.key` is the idempotency key; `record.isRedelivery` tells
/// the sink that it may have seen the key before.
public protocol Sink: Sendable {
    /// Returns the destination's id for the delivered item, if it gives one.
    func deliver(_ record: OutboxRecord) async throws -> String?
}

/// Writes each delivery to the log (no phone numbers: payloads carry hashes only).
public struct LogSink: Sink {
    let logger: Logger

    public init(logger: Logger = Logger(label: "arriwa.sink.log")) {
        self.logger = logger
    }

    public func deliver(_ record: OutboxRecord) async throws -> String? {
        var metadata: Logger.Metadata = ["tenant": "\(record.item.tenant)", "destination": "\(record.item.destination)",
                                         "key": "\(record.item.key)", "session": "\(record.item.sessionID)",
                                         "redelivery": "\(record.isRedelivery)"]
        switch record.item.effect {
        case .emit(let emission):
            metadata["event"] = "\(emission.event)"
            metadata["stream"] = "\(emission.stream.rawValue)"
        case .handover(let handover):
            metadata["reason"] = "\(handover.reason)"
        case .send(let message):
            metadata["message"] = "\(message.id)"
        default:
            break
        }
        logger.info("delivered", metadata: metadata)
        return nil
    }
}
