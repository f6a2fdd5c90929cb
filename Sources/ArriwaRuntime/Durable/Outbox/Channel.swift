public import ArriwaCore
public import Logging

/// Sends WhatsApp messages for the outbox (`destination == "channel"`). Implementations: the
/// WhatsApp providers (later), `RecordingChannel` for demos and tests.
public protocol Channel: Sendable {
    /// Sends one message and returns the provider's message id (a wamid). `idempotencyKey` is our
    /// message id: a provider that supports it must not send the same key twice.
    func send(_ message: OutboundMessage, tenant: String, idempotencyKey: String, redelivery: Bool) async throws -> String

    /// The dispatcher gave up on `message`: its row failed `attempts` times with transient errors
    /// (rate limits, timeouts…), the last one `lastError`, and goes to the dead letters. A channel
    /// that tells the engine about failed deliveries does it here, so a message is never silently
    /// dead. Throwing keeps the row for another attempt (so the report is not lost). Default: nothing.
    func abandon(_ message: OutboundMessage, tenant: String, attempts: Int, lastError: DeliveryError) async throws
}

extension Channel {
    public func abandon(_ message: OutboundMessage, tenant: String, attempts: Int, lastError: DeliveryError) async throws {}
}

/// A channel that sends nothing: it records each message (no phone number: the lead is only a
/// hash) and answers with a fake wamid. What `arriwa serve` uses until a provider is configured.
public actor RecordingChannel: Channel {
    public struct Sent: Sendable, Hashable {
        public var tenant: String
        public var message: OutboundMessage
        public var wamid: String
        public var redelivery: Bool
    }

    public private(set) var sent: [Sent] = []
    private var byKey: [String: String] = [:]
    private let logger: Logger?

    /// - Parameter logger: when set, each send is logged (ids and text, never a phone number).
    public init(logger: Logger? = nil) {
        self.logger = logger
    }

    public func send(_ message: OutboundMessage, tenant: String, idempotencyKey: String, redelivery: Bool) async throws -> String {
        // Idempotent on the key, as a real provider with idempotency keys would be.
        if let wamid = byKey["\(tenant)/\(idempotencyKey)"] { return wamid }
        // Derived from our message id: unique across restarts and processes, as a real wamid is.
        let wamid = "wamid.fake.\(idempotencyKey)"
        byKey["\(tenant)/\(idempotencyKey)"] = wamid
        sent.append(Sent(tenant: tenant, message: message, wamid: wamid, redelivery: redelivery))
        logger?.info("message sent (recording channel)", metadata: [
            "tenant": "\(tenant)", "session": "\(message.sessionID)", "message": "\(message.id)", "wamid": "\(wamid)",
            "purpose": "\(message.purpose.rawValue)", "text": "\(message.content.body)",
            "choices": "\(message.content.choices.map(\.title))",
        ])
        return wamid
    }
}
