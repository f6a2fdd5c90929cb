public import ArriwaStore

extension DeliveryStateMachine {
    /// The machine as far as a message-log row tells (the log keeps pending, sent, delivered,
    /// read and failed; failures counted before are not in it).
    public init(log record: MessageLogRecord, escalateAfter: Int = 3) {
        self.init(escalateAfter: escalateAfter)
        switch record.state {
        case "sent": apply(.status(.sent, at: record.updatedAt))
        case "delivered": apply(.status(.delivered, at: record.updatedAt))
        case "read": apply(.status(.read, at: record.updatedAt))
        case "failed": apply(.status(.failed, at: record.updatedAt))
        default: break
        }
    }

    /// Writes the state to the message log (which, like the machine, never moves back).
    public func record(in store: any Store, tenant: String, messageID: String, providerMessageID: String? = nil) async throws {
        guard state != .pending else { return }
        try await store.recordDelivery(tenant: tenant, messageID: messageID, providerMessageID: providerMessageID,
                                       state: state.logState, at: reachedAt[state] ?? 0)
    }
}
