import ArriwaCore
import ArriwaStore
import Logging

/// Why a turn could not run (not a store conflict): counted towards the entry's attempts.
public struct TurnError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }

    public init(_ message: String) {
        self.message = message
    }
}

/// What a turn starts from: the event as the engine sees it (the lead's subscriber id filled in,
/// a status mapped to our message id), the session it touches and a subscriber to create.
struct LoadedTurn: Sendable {
    var event: EngineEvent
    var state: SessionState?
    var subscriber: SubscriberRecord?
}

/// A turn the engine has run, ready to commit.
struct PreparedTurn: Sendable {
    var entry: InboxEntry
    var commit: TurnCommit
    var newState: SessionState?
    var effects: Int
    /// Outbox rows leased to the handoff dispatcher for this commit (`OutboxDispatcher.handoffLease`).
    var promised = 0
}

extension TurnWorker {
    /// One entry → one commit: resolve the lead and the session, run the engine (classifying
    /// outside any transaction if asked), write state and effects together.
    func runTurn(_ entry: InboxEntry, claim: LaneClaim, owner: String, releaseLane: Bool) async throws {
        let now = await clock.now()
        let loaded = try await load(entry, now: now, known: claim.startState(of: entry))
        guard let prepared = try await prepare(entry, loaded, owner: owner, now: now, releaseLane: releaseLane, mayClassify: true) else {
            throw TurnError("the engine asked for a classification the turn could not run")
        }
        let result: TurnCommitResult
        do {
            result = try await store.commitTurn(prepared.commit)
        } catch {
            notCommitted(prepared)
            throw error
        }
        await handOver([(prepared, result)])
        await committed(prepared, result)
    }

    /// Reads what the entry's turn starts from (a status also records the delivery state here).
    /// An inbound message starts from `known`, its lane's state read with the claim, when given.
    func load(_ entry: InboxEntry, now: Int64, known: LaneState? = nil) async throws -> LoadedTurn {
        let item = entry.item
        switch item.event {
        case .inbound:
            if let known { return inbound(entry, lane: known, now: now) }
            return inbound(entry, lane: try await store.laneState(tenant: item.tenant, lane: item.lane), now: now)
        case .status(var status):
            guard let log = try await store.messageLog(tenant: item.tenant, messageID: status.messageID) else {
                return LoadedTurn(event: item.event, state: nil, subscriber: nil)
            }
            try await store.recordDelivery(tenant: item.tenant, messageID: log.messageID, providerMessageID: nil,
                                           state: status.state.rawValue, at: status.at)
            status.messageID = log.messageID
            return LoadedTurn(event: .status(status), state: try await store.session(tenant: item.tenant, id: log.sessionID), subscriber: nil)
        case .timer(let fired):
            return LoadedTurn(event: item.event, state: try await store.session(tenant: item.tenant, id: fired.timer.sessionID), subscriber: nil)
        case .external(let external):
            if case .string(let id)? = external.payload["session_id"] {
                return LoadedTurn(event: item.event, state: try await store.session(tenant: item.tenant, id: id), subscriber: nil)
            }
            return LoadedTurn(event: item.event, state: try await latestSession(tenant: item.tenant, lane: item.lane), subscriber: nil)
        case .operatorAction:
            return LoadedTurn(event: item.event, state: try await latestSession(tenant: item.tenant, lane: item.lane), subscriber: nil)
        }
    }

    /// An inbound message's turn from its lane's state: a new lead gets a subscriber.
    func inbound(_ entry: InboxEntry, lane: LaneState, now: Int64) -> LoadedTurn {
        let item = entry.item
        guard case .inbound(var message) = item.event else { return LoadedTurn(event: item.event, state: nil, subscriber: nil) }
        let known = lane.subscriber
        let subscriberID = known?.subscriberID ?? configuration.newSubscriberID()
        var subscriber: SubscriberRecord?
        if known == nil {
            subscriber = SubscriberRecord(tenant: item.tenant, lane: item.lane, subscriberID: subscriberID,
                                          phoneHash: message.contact.phoneHash, createdAt: now)
        }
        message.contact.subscriberID = subscriberID
        return LoadedTurn(event: .inbound(message), state: lane.session, subscriber: subscriber)
    }

    /// Runs the engine and assembles the commit. Returns nil when the engine needs a classifier
    /// it cannot run itself and `mayClassify` is false (the caller runs the turn alone instead).
    func prepare(_ entry: InboxEntry, _ loaded: LoadedTurn, owner: String, now: Int64, releaseLane: Bool,
                 mayClassify: Bool) async throws -> PreparedTurn? {
        let item = entry.item
        let state = loaded.state, event = loaded.event
        var newState: SessionState?
        var effects: [Effect] = []
        // A status of an unknown message or a timer of a gone session: consumed, nothing else.
        let touchesSession: Bool
        switch item.event {
        case .inbound: touchesSession = true
        default: touchesSession = state != nil
        }
        if touchesSession {
            let engine = try await deployments.engine(for: state, tenant: item.tenant)
            var result = engine.handle(state, event, now: now)
            if case .needsClassification(let request) = result {
                guard mayClassify else { return nil }
                result = engine.handle(state, event, now: now, classification: await classify(request))
            }
            switch result {
            case .completed(let after, let produced):
                newState = after
                effects = produced
            case .needsClassification(let request):
                throw TurnError("the engine asked for a second classification in one turn (step \(request.stepID))")
            }
        }

        var commit = TurnCommit(tenant: item.tenant, lane: item.lane, owner: owner, now: now, consumed: [entry.seq],
                                session: newState, expectedTurn: newState?.id == state?.id ? state?.turn : nil,
                                subscriber: loaded.subscriber, releaseLane: releaseLane)
        commit.add(effects: effects)
        // The lead wrote after our last message: that message was replied to.
        if case .inbound = event, let last = state?.lastOutbound?.message.id { commit.replied = [last] }
        // An undeliverable number (131026: not on WhatsApp, old client, terms not accepted) marks the
        // contact in the audit trail, whether the channel was refused at once or the provider's
        // status webhook said so later. The engine's resend rules tell the manager after the 3rd.
        if case .status(let status) = event, status.state == .failed, status.errorCode == 131026, let session = newState {
            commit.audit.append(AuditRecord(type: "contact_undeliverable", sessionID: session.id,
                                            detail: "subscriber \(session.subscriberID): message \(status.messageID) undeliverable (131026)",
                                            at: now))
        }
        // The rows due at once go to this process's dispatcher in memory, leased to it by the
        // commit, while it has room for them.
        var promised = 0
        if let handoff {
            let due = commit.outbox.count { $0.availableAt <= now }
            if let lease = handoff.handoffLease(rows: due, now: now) {
                commit.outboxLease = lease
                promised = due
            }
        }
        return PreparedTurn(entry: entry, commit: commit, newState: newState, effects: effects.count, promised: promised)
    }

    /// A prepared turn whose commit failed: its outbox lease is given back.
    func notCommitted(_ turn: PreparedTurn) {
        if turn.promised > 0 { handoff?.forgo(promised: turn.promised) }
    }

    /// Committed turns' leased outbox rows, handed to the dispatcher together (a round's at once:
    /// one wake-up, and deliveries that end close together complete in one batch).
    func handOver(_ turns: [(turn: PreparedTurn, result: TurnCommitResult)]) async {
        let promised = turns.reduce(0) { $0 + $1.turn.promised }
        guard promised > 0, let handoff else { return }
        await handoff.adopt(turns.flatMap { $0.turn.promised > 0 ? $0.result.leased : [] }, promised: promised)
    }

    /// Metrics, the debug line and the commit observer of a committed turn.
    func committed(_ turn: PreparedTurn, _ result: TurnCommitResult) async {
        let item = turn.entry.item
        let committedAt = await clock.now()
        metrics.turns.increment()
        metrics.processingLatency.recordMilliseconds(max(0, committedAt - item.receivedAt))
        if logger.logLevel <= .debug {
            var metadata: Logger.Metadata = ["tenant": "\(item.tenant)", "seq": "\(turn.entry.seq)", "kind": "\(item.kind.rawValue)",
                                             "effects": "\(turn.effects)"]
            if let id = turn.newState?.id { metadata["session"] = "\(id)" }
            if !result.duplicateOutboxKeys.isEmpty { metadata["duplicate_outbox"] = "\(result.duplicateOutboxKeys)" }
            logger.debug("turn committed", metadata: metadata)
        }
        if let onCommit = configuration.onCommit { await onCommit(turn.entry, turn.newState, committedAt) }
    }

    private func latestSession(tenant: String, lane: String) async throws -> SessionState? {
        try await store.laneState(tenant: tenant, lane: lane).session
    }

    /// The configured classifier, bounded by `classificationTimeout` (the lease must outlive the
    /// turn); on timeout the rules' answer stands.
    func classify(_ request: ClassifyRequest) async -> Classification {
        let classify = configuration.classify
        let timeout = configuration.classificationTimeout
        let answer = await withTaskGroup(of: Classification?.self) { group in
            group.addTask { await classify(request) }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        if let answer { return answer }
        logger.warning("classification timed out; using the rules' answer",
                       metadata: ["tenant": "\(request.tenant)", "step": "\(request.stepID)"])
        var fallback = request.rules ?? RulesClassifier().classify(request)
        fallback.source = "rules (classifier timeout)"
        return fallback
    }
}

extension LaneClaim {
    /// The lane's state as the claim read it, for the lane's first entry only: every later entry
    /// starts from what the previous turn committed.
    func startState(of entry: InboxEntry) -> LaneState? {
        entries.first?.seq == entry.seq ? state : nil
    }
}
