public import ArriwaCore

/// An outbox row: a send, an emission or a handover waiting for delivery, unique by key.
public struct OutboxEntry: Sendable, Hashable {
    public enum Kind: String, Sendable { case send, emit, handover }
    public var key: String
    public var kind: Kind
    public var sessionID: String
    public var effect: Effect
    public var enqueuedAt: Int64
}

/// Sessions, timers, outbox and audit trail in memory: the store the CLI (`arriwa chat`,
/// `arriwa test`) runs flows on. One commit per turn, as the durable stores do.
public actor MemoryStore {
    private var sessions: [String: SessionState] = [:]
    private var latestSession: [String: String] = [:]
    private var subscribers: [String: String] = [:]
    private var timers: [String: TimerSpec] = [:]
    private var messageSessions: [String: String] = [:]
    private var outboxKeys: Set<String> = []
    public private(set) var outbox: [OutboxEntry] = []
    public private(set) var audit: [AuditRecord] = []
    public private(set) var duplicates: [String] = []

    public init() {}

    public func subscriberID(phoneHash: String) -> String? { subscribers[phoneHash] }
    public func session(id: String) -> SessionState? { sessions[id] }
    public func latestSession(subscriberID: String) -> SessionState? { latestSession[subscriberID].flatMap { sessions[$0] } }
    public func sessionID(forMessage id: String) -> String? { messageSessions[id] }
    public var allSessions: [SessionState] { Array(sessions.values) }
    public var pendingTimers: [TimerSpec] { timers.values.sorted { ($0.dueAt, $0.id) < ($1.dueAt, $1.id) } }

    /// Timers due at or before `now`, earliest first.
    public func dueTimers(at now: Int64) -> [TimerSpec] { pendingTimers.filter { $0.dueAt <= now } }

    /// Applies one turn: the new state, timer changes and outbox rows together.
    public func commit(state: SessionState?, effects: [Effect], at now: Int64) {
        if let state {
            sessions[state.id] = state
            latestSession[state.subscriberID] = state.id
            subscribers[state.phoneHash] = state.subscriberID
        }
        for effect in effects {
            switch effect {
            case .schedule(let timer): timers[timer.id] = timer
            case .cancel(let id): timers[id] = nil
            case .send(let message):
                messageSessions[message.id] = message.sessionID
                enqueue(OutboxEntry(key: message.id, kind: .send, sessionID: message.sessionID, effect: effect, enqueuedAt: now))
            case .emit(let emission):
                enqueue(OutboxEntry(key: emission.key, kind: .emit, sessionID: emission.sessionID, effect: effect, enqueuedAt: now))
            case .handover(let handover):
                enqueue(OutboxEntry(key: "\(handover.sessionID)-handover-\(now)", kind: .handover, sessionID: handover.sessionID,
                                    effect: effect, enqueuedAt: now))
            case .audit(let record): audit.append(record)
            case .error(let failure):
                audit.append(AuditRecord(type: "error", sessionID: state?.id ?? "", detail: "\(failure.code.rawValue): \(failure.message)", at: now))
            }
        }
    }

    /// A fired timer leaves the table whether or not the engine still wanted it.
    public func removeTimer(_ id: String) { timers[id] = nil }

    private func enqueue(_ entry: OutboxEntry) {
        // UNIQUE(key): a second row with the same idempotency key is refused, as in PostgreSQL.
        guard outboxKeys.insert(entry.key).inserted else {
            duplicates.append(entry.key)
            return
        }
        outbox.append(entry)
    }

    /// Forgets everything (`/reset` in chat).
    public func reset() {
        sessions = [:]
        latestSession = [:]
        subscribers = [:]
        timers = [:]
        messageSessions = [:]
        outboxKeys = []
        outbox = []
        audit = []
        duplicates = []
    }
}
