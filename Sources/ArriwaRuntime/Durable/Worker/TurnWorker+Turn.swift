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

extension TurnWorker {
    /// One entry → one commit: resolve the lead and the session, run the engine (classifying
    /// outside any transaction if asked), write state and effects together.
    func runTurn(_ entry: InboxEntry, claim: LaneClaim, owner: String, releaseLane: Bool) async throws {
        let item = entry.item
        let now = await clock.now()
        var event = item.event
        var state: SessionState?
        var subscriber: SubscriberRecord?

        switch item.event {
        case .inbound(var message):
            let lane = try await store.laneState(tenant: item.tenant, lane: item.lane)
            let known = lane.subscriber
            let subscriberID = known?.subscriberID ?? configuration.newSubscriberID()
            if known == nil {
                subscriber = SubscriberRecord(tenant: item.tenant, lane: item.lane, subscriberID: subscriberID,
                                              phoneHash: message.contact.phoneHash, createdAt: now)
            }
            message.contact.subscriberID = subscriberID
            event = .inbound(message)
            state = lane.session
        case .status(var status):
            if let log = try await store.messageLog(tenant: item.tenant, messageID: status.messageID) {
                try await store.recordDelivery(tenant: item.tenant, messageID: log.messageID, providerMessageID: nil,
                                               state: status.state.rawValue, at: status.at)
                status.messageID = log.messageID
                event = .status(status)
                state = try await store.session(tenant: item.tenant, id: log.sessionID)
            }
        case .timer(let fired):
            state = try await store.session(tenant: item.tenant, id: fired.timer.sessionID)
        case .external(let external):
            if case .string(let id)? = external.payload["session_id"] {
                state = try await store.session(tenant: item.tenant, id: id)
            } else {
                state = try await latestSession(tenant: item.tenant, lane: item.lane)
            }
        case .operatorAction:
            state = try await latestSession(tenant: item.tenant, lane: item.lane)
        }

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
            (newState, effects) = try await run(engine, state: state, event: event, now: now)
        }

        var commit = TurnCommit(tenant: item.tenant, lane: item.lane, owner: owner, now: now, consumed: [entry.seq],
                                session: newState, expectedTurn: newState?.id == state?.id ? state?.turn : nil,
                                subscriber: subscriber, releaseLane: releaseLane)
        commit.add(effects: effects)
        // An undeliverable number (131026: not on WhatsApp, old client, terms not accepted) marks the
        // contact in the audit trail, whether the channel was refused at once or the provider's
        // status webhook said so later. The engine's resend rules tell the manager after the 3rd.
        if case .status(let status) = event, status.state == .failed, status.errorCode == 131026, let session = newState {
            commit.audit.append(AuditRecord(type: "contact_undeliverable", sessionID: session.id,
                                            detail: "subscriber \(session.subscriberID): message \(status.messageID) undeliverable (131026)",
                                            at: now))
        }
        let result = try await store.commitTurn(commit)
        let committedAt = await clock.now()
        metrics.turns.increment()
        metrics.processingLatency.recordMilliseconds(max(0, committedAt - item.receivedAt))
        var metadata: Logger.Metadata = ["tenant": "\(item.tenant)", "seq": "\(entry.seq)", "kind": "\(item.kind.rawValue)",
                                         "effects": "\(effects.count)"]
        if let id = newState?.id { metadata["session"] = "\(id)" }
        if !result.duplicateOutboxKeys.isEmpty { metadata["duplicate_outbox"] = "\(result.duplicateOutboxKeys)" }
        logger.debug("turn committed", metadata: metadata)
        if let onCommit = configuration.onCommit { await onCommit(entry, newState, committedAt) }
    }

    private func latestSession(tenant: String, lane: String) async throws -> SessionState? {
        try await store.laneState(tenant: tenant, lane: lane).session
    }

    /// The engine, asked again with the classifier's answer when it needs one.
    private func run(_ engine: Engine, state: SessionState?, event: EngineEvent, now: Int64) async throws -> (SessionState?, [Effect]) {
        var result = engine.handle(state, event, now: now)
        if case .needsClassification(let request) = result {
            let classification = await classify(request)
            result = engine.handle(state, event, now: now, classification: classification)
        }
        switch result {
        case .completed(let newState, let effects):
            return (newState, effects)
        case .needsClassification(let request):
            throw TurnError("the engine asked for a second classification in one turn (step \(request.stepID))")
        }
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
