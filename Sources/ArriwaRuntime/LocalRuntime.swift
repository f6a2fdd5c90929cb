public import ArriwaCore
public import ArriwaStore

/// Drives the pure engine over the in-memory store on a virtual clock: what `arriwa chat` and
/// `arriwa test` run. Classification happens between engine calls, never inside a commit.
public actor LocalRuntime {
    public struct Configuration: Sendable {
        /// Asked when the engine needs a classifier it cannot run itself (a model).
        public var classify: @Sendable (ClassifyRequest) async -> Classification
        /// New subscriber ids (UUIDs in production; deterministic in tests).
        public var newSubscriberID: @Sendable () -> String

        public init(classify: @escaping @Sendable (ClassifyRequest) async -> Classification = LocalRuntime.rulesOnly,
                    newSubscriberID: @escaping @Sendable () -> String) {
            self.classify = classify
            self.newSubscriberID = newSubscriberID
        }
    }

    /// The offline default: the rules' own answer.
    public static let rulesOnly: @Sendable (ClassifyRequest) async -> Classification = { request in
        request.rules ?? RulesClassifier().classify(request)
    }

    /// What one event did.
    public struct TurnRecord: Sendable {
        public var event: EngineEvent
        public var at: Int64
        public var sessionID: String?
        public var effects: [Effect]

        public var sends: [OutboundMessage] {
            effects.compactMap { if case .send(let m) = $0 { m } else { nil } }
        }

        public var emissions: [Emission] {
            effects.compactMap { if case .emit(let e) = $0 { e } else { nil } }
        }
    }

    public let store: MemoryStore
    public private(set) var now: Int64
    private var engines: [String: Engine]
    private var current: Engine
    private let configuration: Configuration
    private var inboundSeq = 0

    public init(program: Program, store: MemoryStore = MemoryStore(), startAt now: Int64, configuration: Configuration) {
        self.store = store
        self.now = now
        current = Engine(program: program)
        engines = [program.version: current]
        self.configuration = configuration
    }

    public var currentVersion: String { current.program.version }

    /// A new flow version: new sessions start on it, running sessions keep theirs.
    public func deploy(_ program: Program) {
        current = Engine(program: program)
        engines[program.version] = current
    }

    /// The lead writes. `phone` is hashed at once and never stored.
    public func inbound(phone: String, kind: InboundMessage.Kind = .text, text: String, replyID: String? = nil,
                        replyTitle: String? = nil, profileName: String? = nil, language: String? = nil,
                        referral: [String: String]? = nil, referralRaw: String? = nil, messageID: String? = nil) async -> TurnRecord {
        let phoneHash = Phone.hash(phone) ?? "invalid-\(phone.utf8.count)"
        let subscriberID = await store.subscriberID(phoneHash: phoneHash) ?? configuration.newSubscriberID()
        inboundSeq += 1
        let contact = Contact(subscriberID: subscriberID, phoneHash: phoneHash, profileName: profileName, language: language)
        let message = InboundMessage(id: messageID ?? "wamid.local.\(inboundSeq)", kind: kind, text: text, replyID: replyID,
                                     replyTitle: replyTitle, receivedAt: now, contact: contact, referral: referral,
                                     referralRaw: referralRaw)
        let state = await store.latestSession(subscriberID: subscriberID)
        return await apply(.inbound(message), to: state)
    }

    /// A delivery status for one of our messages.
    public func status(messageID: String, _ state: DeliveryStatus.State, errorCode: Int? = nil, errorTitle: String? = nil) async -> TurnRecord {
        let event = EngineEvent.status(DeliveryStatus(messageID: messageID, state: state, at: now, errorCode: errorCode, errorTitle: errorTitle))
        guard let sessionID = await store.sessionID(forMessage: messageID) else {
            return TurnRecord(event: event, at: now, sessionID: nil, effects: [])
        }
        return await apply(event, to: await store.session(id: sessionID))
    }

    public func external(sessionID: String, name: String, payload: [String: Value] = [:]) async -> TurnRecord {
        await apply(.external(ExternalEvent(name: name, payload: payload, at: now)), to: await store.session(id: sessionID))
    }

    public func operatorClose(sessionID: String, operatorID: String? = nil) async -> TurnRecord {
        await apply(.operatorAction(OperatorAction(kind: .close, operatorID: operatorID, at: now)), to: await store.session(id: sessionID))
    }

    /// Moves the clock forward, firing every timer that comes due on the way at its own due time.
    public func advance(by milliseconds: Int64) async -> [TurnRecord] {
        let target = now + max(0, milliseconds)
        var records: [TurnRecord] = []
        while let timer = await store.dueTimers(at: target).first {
            now = max(now, timer.dueAt)
            await store.removeTimer(timer.id)
            let record = await apply(.timer(TimerFired(timer)), to: await store.session(id: timer.sessionID))
            records.append(record)
        }
        now = target
        return records
    }

    /// One turn: engine, classification outside the commit if asked, then one commit.
    private func apply(_ event: EngineEvent, to state: SessionState?) async -> TurnRecord {
        let engine = state.flatMap { engines[$0.flowVersion] } ?? current
        let at = now
        var result = engine.handle(state, event, now: at)
        if case .needsClassification(let request) = result {
            let classification = await configuration.classify(request)
            result = engine.handle(state, event, now: at, classification: classification)
        }
        guard case .completed(let newState, let effects) = result else {
            // A second request in one turn is answered by the rules inside the engine; not reached.
            return TurnRecord(event: event, at: at, sessionID: state?.id, effects: [])
        }
        await store.commit(state: newState, effects: effects, at: at)
        return TurnRecord(event: event, at: at, sessionID: newState?.id ?? state?.id, effects: effects)
    }
}
