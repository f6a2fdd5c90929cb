import ArriwaCore
import Foundation

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
        /// The columns a stored row starts with (`TurnCommit.outboxStart`): leased or not.
        var owner: String?
        var attempts: Int
        var nextAttemptAt: Int64
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
            let spec = try StoreJSON.encode(record.timer, what: "timer \(record.timer.id)")
            return Timer(id: record.timer.id, lane: record.lane, sessionID: record.timer.sessionID, dueAt: record.timer.dueAt,
                         spec: spec, dedupeKey: record.dedupeKey, event: Self.timerEvent(spec: spec))
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
            let start = commit.outboxStart(of: item)
            return Outbox(tenant: item.tenant, key: item.key, destination: item.destination, sessionID: item.sessionID, lane: item.lane,
                          effect: json, availableAt: item.availableAt, owner: start.owner, attempts: start.attempts,
                          nextAttemptAt: start.nextAttemptAt)
        }
        self.effects = effects
    }
}

extension TurnRows {
    /// The inbox event a timer fires with — `.timer(TimerFired(spec))` — as `JSONEncoder` writes it,
    /// around the spec's text already encoded for the `spec` column: the event's document is the
    /// spec's under two single-key objects (the enum case, the synthesized `_0`) and `TimerFired`'s
    /// one key. Encoding the spec a second time took a tenth of a turn's encoding. A test checks
    /// that this equals the encoder's text and decodes to the event.
    static func timerEvent(spec: String) -> String {
        #"{"timer":{"_0":{"timer":"# + spec + "}}}"
    }

    /// Fewer turns than this per core are encoded on the caller's task: a child task costs more
    /// than it saves.
    static let turnsPerSlice = 4

    /// The rows of a batch's commits, in the commits' order. Encoding the documents is the largest
    /// share of a worker's CPU (funnel-5: about a third of the process, Foundation's `JSONEncoder`),
    /// and the worker's loop has nothing else to do while it runs — the database waits for the
    /// statement. So a batch is cut into one slice per core, encoded at the same time; the first
    /// failure (a document that cannot be encoded) is thrown, as the serial encoding would.
    static func encode(_ commits: [TurnCommit]) async throws -> [TurnRows] {
        let slices = Swift.min(ProcessInfo.processInfo.activeProcessorCount, commits.count / turnsPerSlice)
        guard slices > 1 else { return try commits.map(TurnRows.init) }
        let size = (commits.count + slices - 1) / slices
        return try await withThrowingTaskGroup(of: (start: Int, rows: [TurnRows]).self) { group in
            for start in stride(from: 0, to: commits.count, by: size) {
                let slice = commits[start..<Swift.min(start + size, commits.count)]
                group.addTask { (start, try slice.map(TurnRows.init)) }
            }
            var parts: [(start: Int, rows: [TurnRows])] = []
            for try await part in group { parts.append(part) }
            return parts.sorted { $0.start < $1.start }.flatMap(\.rows)
        }
    }
}

/// An inbox item with its event already encoded, queued for a batched append.
struct EncodedInboxItem: Sendable {
    var item: InboxItem
    var event: String
}
