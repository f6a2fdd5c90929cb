import ArriwaCore
import ArriwaStore
import Testing
@testable import ArriwaChannels

/// The stores' rule (`DeliveryState.accepts`, what every recordDelivery applies) is the delivery
/// state machine: from every state the machine can be in, each event moves the machine exactly
/// where the rule lets the message log go.
@Suite struct DeliveryStateRuleTests {
    typealias Machine = DeliveryStateMachine

    /// Ways into each state, with 0, 1 or 2 failures counted before (the 3rd escalates).
    static let paths: [[Machine.Event]] = [
        [],
        [.status(.sent, at: 1)],
        [.status(.sent, at: 1), .status(.delivered, at: 2)],
        [.status(.read, at: 3)],
        [.replied(at: 4)],
        [.status(.failed, at: 1)],
        [.retrying(at: 1)],
        [.status(.failed, at: 1), .retrying(at: 2)],
        [.status(.failed, at: 1), .retrying(at: 2), .status(.failed, at: 3)],
        [.status(.failed, at: 1), .retrying(at: 2), .status(.failed, at: 3), .retrying(at: 4)],
        [.status(.failed, at: 1), .retrying(at: 2), .status(.sent, at: 3)],
        [.status(.failed, at: 1), .retrying(at: 2), .status(.failed, at: 3), .retrying(at: 4), .status(.sent, at: 5)],
        [.status(.failed, at: 1), .status(.failed, at: 2), .status(.failed, at: 3)],
    ]

    static let events: [Machine.Event] = [.status(.sent, at: 10), .status(.delivered, at: 10), .status(.read, at: 10),
                                          .status(.failed, at: 10), .retrying(at: 10), .replied(at: 10)]

    /// The state the log is asked to take for `event` when the machine does not move.
    static func asked(_ event: Machine.Event) -> String {
        switch event {
        case .status(let state, _, _): state.rawValue
        case .retrying: "retrying"
        case .replied: "replied"
        }
    }

    @Test func theRuleMovesTheLogWhereTheMachineGoes() {
        var seen: Set<String> = []
        for path in Self.paths {
            let before = Machine.replay(path)
            for event in Self.events {
                var after = before
                after.apply(event)
                let current = before.state.logState
                let next = after.state == before.state ? Self.asked(event) : after.state.logState
                seen.insert(current)
                #expect(DeliveryState.accepts(next, over: current) == (after.state != before.state),
                        "\(current) (\(before.failures) failures) + \(event) → machine \(after.state), rule says \(next) is \(DeliveryState.accepts(next, over: current) ? "accepted" : "refused")")
            }
        }
        #expect(seen == Set(DeliveryState.all), "every state was checked")
        #expect(Set(Machine.State.allCases.map(\.logState)) == Set(DeliveryState.all), "the log knows every state of the machine")
    }

    @Test func aLogRowRestoresTheMachineInItsState() {
        for state in Machine.State.allCases {
            let record = MessageLogRecord(tenant: "t", messageID: "m", sessionID: "s", lane: "l", node: nil, state: state.rawValue,
                                          updatedAt: 7)
            #expect(Machine(log: record).state == state)
        }
    }
}
