/// The channel's live delivery state machines: one per message that failed technically and is
/// being retried, in this process (a restart starts them again; the dispatcher's own attempt limit
/// still bounds the row, and an exhausted row is reported too, see `WhatsAppChannel.abandon`).
actor DeliveryAttempts {
    private var machines: [String: DeliveryStateMachine] = [:]
    private let escalateAfter: Int

    /// - Parameter escalateAfter: the failed attempt that escalates the message to the engine.
    init(escalateAfter: Int) {
        self.escalateAfter = escalateAfter
    }

    /// A technical failure of `id` at `at`: `.retrying` when the machine goes on (FAILED →
    /// RETRYING), `.escalated` at the `escalateAfter`th failure (the machine is then forgotten).
    func failed(_ id: String, at: Int64) -> DeliveryStateMachine.State {
        var machine = machines[id] ?? DeliveryStateMachine(escalateAfter: escalateAfter)
        machine.apply(.status(.failed, at: at))
        guard machine.state != .escalated else {
            machines[id] = nil
            return .escalated
        }
        machine.apply(.retrying(at: at))
        machines[id] = machine
        return machine.state
    }

    /// The message got through or was given up: its machine is no longer needed here.
    func clear(_ id: String) { machines[id] = nil }
}
