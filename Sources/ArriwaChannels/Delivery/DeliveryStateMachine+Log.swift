public import ArriwaStore

extension DeliveryStateMachine {
    /// The machine as far as a message-log row tells (failures counted before are not in it: a
    /// `failed` or `retrying` row counts one, an `escalated` one is final).
    public init(log record: MessageLogRecord, escalateAfter: Int = 3) {
        self.init(escalateAfter: escalateAfter)
        let at = record.updatedAt
        switch State(rawValue: record.state) ?? .pending {
        case .pending: break
        case .sent: apply(.status(.sent, at: at))
        case .delivered: apply(.status(.delivered, at: at))
        case .read: apply(.status(.read, at: at))
        case .replied: apply(.replied(at: at))
        case .failed: apply(.status(.failed, at: at))
        case .retrying: apply(.retrying(at: at))
        case .escalated:
            for _ in 0..<self.escalateAfter { apply(.status(.failed, at: at)) }
        }
    }

    /// Writes the state to the message log (which, like the machine, never moves back).
    public func record(in store: any Store, tenant: String, messageID: String, providerMessageID: String? = nil) async throws {
        guard state != .pending else { return }
        try await store.recordDelivery(tenant: tenant, messageID: messageID, providerMessageID: providerMessageID,
                                       state: state.logState, at: reachedAt[state] ?? 0)
    }
}
