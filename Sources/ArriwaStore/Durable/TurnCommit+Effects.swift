public import ArriwaCore

extension TurnCommit {
    /// Turns the engine's effects into rows: sends → outbox (`channel`) + message log; emissions
    /// → one outbox row per sink + event log; handovers → outbox (`handover`); timers → timer
    /// rows; audit records and engine errors → audit log.
    public mutating func add(effects: [Effect]) {
        for effect in effects {
            switch effect {
            case .send(let message):
                outbox.append(OutboxItem(tenant: tenant, key: message.id, destination: OutboxDestination.channel,
                                         sessionID: message.sessionID, lane: lane, effect: effect, availableAt: now))
                messages.append(MessageLogRecord(tenant: tenant, messageID: message.id, sessionID: message.sessionID, lane: lane,
                                                 node: message.origin, updatedAt: now))
            case .emit(let emission):
                let sinks = emission.sinks.isEmpty ? [OutboxDestination.log] : emission.sinks
                for sink in sinks {
                    outbox.append(OutboxItem(tenant: tenant, key: emission.key, destination: sink, sessionID: emission.sessionID,
                                             lane: lane, effect: effect, availableAt: now))
                }
                events.append(EventLogRecord(tenant: tenant, key: emission.key, sessionID: emission.sessionID, event: emission.event,
                                             stream: emission.stream.rawValue, at: emission.eventTime))
            case .handover(let handover):
                outbox.append(OutboxItem(tenant: tenant, key: "\(handover.sessionID)-handover-\(now)", destination: OutboxDestination.handover,
                                         sessionID: handover.sessionID, lane: lane, effect: effect, availableAt: now))
            case .schedule(let timer):
                schedule.append(TimerRecord(tenant: tenant, lane: lane, timer: timer))
            case .cancel(let id):
                cancel.append(id)
            case .audit(let record):
                audit.append(record)
            case .error(let failure):
                audit.append(AuditRecord(type: "error", sessionID: session?.id ?? "", detail: "\(failure.code.rawValue): \(failure.message)", at: now))
            }
        }
    }
}

/// Outbox destinations that are not sinks.
public enum OutboxDestination {
    /// The tenant's WhatsApp channel.
    public static let channel = "channel"
    /// The tenant's handover adapter.
    public static let handover = "handover"
    /// Emissions that name no sink.
    public static let log = "log"
}
