public import ArriwaCore
public import ArriwaRuntime
public import ArriwaStore

/// Hands a send's failure to the engine the way a provider's `failed` status webhook would: a
/// `failed` DeliveryStatus for the message, appended to the lead's inbox (lane = the message's
/// phone hash). The engine's own rules then act — 131047 switches to the node's template, other
/// failures are resent and the 3rd failed delivery becomes a handover — in a durable turn, like
/// every other event.
public struct DeliveryFeedback: Sendable {
    let store: any Store
    let clock: any RuntimeClock
    let wake: @Sendable () async -> Void

    /// - Parameter wake: wakes the turn workers (the inbox is also polled).
    public init(store: any Store, clock: any RuntimeClock = SystemClock(), wake: @escaping @Sendable () async -> Void = {}) {
        self.store = store
        self.clock = clock
        self.wake = wake
    }

    /// Appends `failed` for the message (deduplicated per message: a redelivered row reports once).
    public func reportFailed(_ message: OutboundMessage, tenant: String, code: Int?, title: String) async throws {
        let now = await clock.now()
        let status = DeliveryStatus(messageID: message.id, state: .failed, at: now, errorCode: code,
                                    errorTitle: String(title.prefix(300)))
        let item = InboxItem(tenant: tenant, lane: message.phoneHash, dedupeKey: "status:\(message.id):failed", kind: .status,
                             event: .status(status), receivedAt: now)
        if case .appended = try await store.appendInbox(item) { await wake() }
    }
}
