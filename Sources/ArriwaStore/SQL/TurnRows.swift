import ArriwaCore

/// A commit's rows with their documents encoded, before any database work (an encoding failure
/// never leaves a transaction half done). Shared by the SQL stores.
struct TurnRows: Sendable {
    struct Session: Sendable, Encodable {
        var subscriberID: String
        var flowVersion: String
        var status: String
        var turn: Int
        /// The wait generation's bits as a signed 64-bit integer (the column is informational; the
        /// exact value lives in `state`).
        var waitToken: Int64
        var lastInboundAt: Int64?
        var optedOut: Bool
        var snoozedUntil: Int64?
        var humanActive: Bool
        var attribution: String
        var referralRaw: String?
        var state: String
    }

    struct Timer: Sendable, Encodable {
        var id: String
        var lane: String
        var sessionID: String
        var dueAt: Int64
        var spec: String
        var dedupeKey: String
        var event: String
    }

    struct Outbox: Sendable, Encodable {
        var tenant: String
        var key: String
        var destination: String
        var sessionID: String
        var lane: String
        var effect: String
        var availableAt: Int64
    }

    var session: Session?
    var timers: [Timer]
    var outbox: [Outbox]
    /// Each distinct queued effect with its text, for the stores' `DocumentMemo`.
    var effects: [(text: String, effect: Effect)] = []

    init(_ commit: TurnCommit) throws {
        if let state = commit.session {
            session = Session(subscriberID: state.subscriberID, flowVersion: state.flowVersion, status: state.status.rawValue, turn: state.turn,
                              waitToken: Int64(bitPattern: state.waitToken), lastInboundAt: state.lastInboundAt, optedOut: state.optedOut,
                              snoozedUntil: state.snoozedUntil, humanActive: state.humanActive,
                              attribution: try StoreJSON.encode(state.attribution, what: "session \(state.id) attribution"),
                              referralRaw: state.referralRaw,
                              state: try StoreJSON.encode(state, what: "session \(state.id)"))
        }
        timers = try commit.effectiveSchedule.map { record in
            Timer(id: record.timer.id, lane: record.lane, sessionID: record.timer.sessionID, dueAt: record.timer.dueAt,
                  spec: try StoreJSON.encode(record.timer, what: "timer \(record.timer.id)"), dedupeKey: record.dedupeKey,
                  event: try StoreJSON.encode(EngineEvent.timer(TimerFired(record.timer)), what: "timer \(record.timer.id) event"))
        }
        // An emission goes to several sinks as consecutive rows of one effect: encoded once (the
        // comparison is an identity check of the effect's box).
        var previous: (effect: Effect, json: String)?
        var effects: [(text: String, effect: Effect)] = []
        outbox = try commit.outbox.map { item in
            let json: String
            if let previous, previous.effect == item.effect {
                json = previous.json
            } else {
                json = try StoreJSON.encode(item.effect, what: "outbox \(item.destination)/\(item.key)")
                previous = (item.effect, json)
                effects.append((json, item.effect))
            }
            return Outbox(tenant: item.tenant, key: item.key, destination: item.destination, sessionID: item.sessionID, lane: item.lane,
                          effect: json, availableAt: item.availableAt)
        }
        self.effects = effects
    }
}

/// An inbox item with its event already encoded, queued for a batched append.
struct EncodedInboxItem: Sendable {
    var item: InboxItem
    var event: String
}
