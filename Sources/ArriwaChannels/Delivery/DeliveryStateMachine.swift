public import ArriwaCore

/// The delivery state of one outbound message, fed by events that may arrive in any order:
///
/// ```
/// PENDING → SENT → DELIVERED → READ → REPLIED
/// PENDING/SENT → FAILED → RETRYING → SENT …      (a retry got through; PENDING → RETRYING implies the failure)
///                FAILED (the `escalateAfter`th) → ESCALATED
/// ```
/// Pure and deterministic: the success track only moves forward (a late `delivered` after `read`
/// changes nothing; `read` implies `delivered`, which Meta may skip); a `failed` after delivery was
/// proven is ignored; a reply implies the rest; `replay` sorts events by timestamp first, so a shuffled webhook stream ends
/// in the same state as the ordered one.
public struct DeliveryStateMachine: Sendable, Hashable {
    public enum State: String, Sendable, Hashable, Codable, CaseIterable {
        case pending, sent, delivered, read, replied, failed, retrying, escalated

        /// Position on the success track (failure states sit below `sent`).
        var rank: Int {
            switch self {
            case .pending: 0
            case .failed, .retrying: 1
            case .escalated: 1
            case .sent: 2
            case .delivered: 3
            case .read: 4
            case .replied: 5
            }
        }

        /// The message-log state: the log keeps every state of the machine under its name, and its
        /// rule (`ArriwaStore.DeliveryState`) moves them exactly as the machine does.
        public var logState: String { rawValue }
    }

    public enum Event: Sendable, Hashable {
        /// A provider status (sent, delivered, read, failed) at its timestamp (Unix ms).
        case status(DeliveryStatus.State, at: Int64, errorCode: Int? = nil)
        /// The lead wrote after this message.
        case replied(at: Int64)
        /// A new attempt started after a failure.
        case retrying(at: Int64)

        public var at: Int64 {
            switch self {
            case .status(_, let at, _), .replied(let at), .retrying(let at): at
            }
        }

        /// Tie-break for events with the same timestamp: the order they happen in.
        var order: Int {
            switch self {
            case .retrying: 0
            case .status(let state, _, _):
                switch state {
                case .failed: 1
                case .sent: 2
                case .delivered: 3
                case .read: 4
                }
            case .replied: 5
            }
        }
    }

    public private(set) var state: State = .pending
    /// Failed deliveries so far.
    public private(set) var failures = 0
    /// The error code of the last failure.
    public private(set) var lastErrorCode: Int?
    /// When each state was reached (Unix ms); `delivered` is filled from `read` when Meta skipped it.
    public private(set) var reachedAt: [State: Int64] = [:]
    public let escalateAfter: Int

    /// - Parameter escalateAfter: the failure that escalates (3: the engine hands over after the 3rd).
    public init(escalateAfter: Int = 3) {
        self.escalateAfter = max(1, escalateAfter)
    }

    /// A machine that has seen `events`, sorted by timestamp (ties in lifecycle order).
    public static func replay(_ events: [Event], escalateAfter: Int = 3) -> DeliveryStateMachine {
        var machine = DeliveryStateMachine(escalateAfter: escalateAfter)
        for event in events.sorted(by: { ($0.at, $0.order) < ($1.at, $1.order) }) { machine.apply(event) }
        return machine
    }

    /// Applies one event; returns whether the state changed.
    @discardableResult
    public mutating func apply(_ event: Event) -> Bool {
        if state == .escalated { return false }
        switch event {
        case .status(.failed, let at, let code):
            // Delivery proven: a late or stray failure does not undo it.
            guard state.rank < State.sent.rank || state == .sent else { return false }
            failures += 1
            lastErrorCode = code
            return move(to: failures >= escalateAfter ? .escalated : .failed, at: at)
        case .status(let provider, let at, _):
            let target: State = switch provider {
            case .sent: .sent
            case .delivered: .delivered
            default: .read
            }
            guard target.rank > state.rank else { return false }
            if target == .read, reachedAt[.delivered] == nil { reachedAt[.delivered] = at }
            if target.rank >= State.delivered.rank, reachedAt[.sent] == nil { reachedAt[.sent] = at }
            return move(to: target, at: at)
        case .replied(let at):
            // A reply proves the message reached the lead and was seen.
            guard state != .replied else { return false }
            for implied in [State.sent, .delivered, .read] where reachedAt[implied] == nil { reachedAt[implied] = at }
            return move(to: .replied, at: at)
        case .retrying(let at):
            // A retry implies the failed attempt before it (the sender may report only the retry).
            if state == .pending {
                failures += 1
                reachedAt[.failed] = reachedAt[.failed] ?? at
                guard failures < escalateAfter else { return move(to: .escalated, at: at) }
            } else if state != .failed {
                return false
            }
            return move(to: .retrying, at: at)
        }
    }

    private mutating func move(to next: State, at: Int64) -> Bool {
        state = next
        if reachedAt[next] == nil { reachedAt[next] = at }
        return true
    }
}
