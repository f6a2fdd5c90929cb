/// The message log's delivery states and the rule that moves them, shared by every store (the SQL
/// of PostgreSQL's one-statement update is built from the same rule, `sql`). It is the delivery
/// state machine of one outbound message (ArriwaChannels' `DeliveryStateMachine`, which a test
/// checks state by state against this rule):
///
/// ```
/// pending → sent → delivered → read → replied          (the success track, forward only)
/// pending/sent → failed → retrying → sent …           (a retry got through)
/// pending/sent/failed/retrying → escalated             (final: the sender gave up on it)
/// ```
///
/// Statuses arrive out of order, so the rule never moves a message back: a late `delivered` after
/// `read` is refused (read implies delivered, which Meta may skip), a failure after delivery was
/// proven is refused, and a repeated state keeps the time it was first reached. `replied` (the
/// lead wrote after the message) is the top of the success track.
public enum DeliveryState {
    public static let pending = "pending"
    public static let sent = "sent"
    public static let delivered = "delivered"
    public static let read = "read"
    public static let replied = "replied"
    public static let failed = "failed"
    public static let retrying = "retrying"
    public static let escalated = "escalated"

    /// Every state, the success track first.
    public static let all = [pending, sent, delivered, read, replied, failed, retrying, escalated]

    /// Whether a message at `current` moves to `next`. An unknown `next` is refused; an unknown
    /// `current` (a row written by an older binary) counts as `pending`.
    public static func accepts(_ next: String, over current: String) -> Bool {
        guard all.contains(next) else { return false }
        let current = all.contains(current) ? current : pending
        if next == current || current == escalated || current == replied { return false }
        switch next {
        case failed, escalated:
            // A failure is news only before delivery was proven (sent → failed: the provider took
            // the message, then reported it undeliverable, e.g. 131047 as a failed status).
            return [pending, sent, failed, retrying].contains(current)
        case retrying:
            // A new attempt after a failure (a retry implies the failure before it).
            return [pending, failed].contains(current)
        default:
            return DeliveryRank.rank(next) > DeliveryRank.rank(current)
        }
    }

    /// Every (current, next) pair `accepts` takes, as `current>next`.
    static let acceptedPairs: [String] = all.flatMap { current in
        all.filter { accepts($0, over: current) }.map { "\(current)>\($0)" }
    }

    /// `accepts` as a SQL condition over two text expressions holding states (unknown current
    /// states count as pending, as in `accepts`).
    static func sql(next: String, current: String) -> String {
        let known = all.map { "'\($0)'" }.joined(separator: ", ")
        let pairs = acceptedPairs.map { "'\($0)'" }.joined(separator: ", ")
        return "(((CASE WHEN \(current) IN (\(known)) THEN \(current) ELSE 'pending' END) || '>' || \(next)) IN (\(pairs)))"
    }
}

/// Positions on the success track (failure states sit below `sent`: a retry that gets through
/// moves forward from them).
public enum DeliveryRank {
    /// Each state's rank; unknown states rank 0.
    static let ranks: [(state: String, rank: Int)] = [
        (DeliveryState.pending, 0), (DeliveryState.failed, 1), (DeliveryState.retrying, 1), (DeliveryState.escalated, 1),
        (DeliveryState.sent, 2), (DeliveryState.delivered, 3), (DeliveryState.read, 4), (DeliveryState.replied, 5),
    ]

    public static func rank(_ state: String) -> Int {
        ranks.first { $0.state == state }?.rank ?? 0
    }
}

/// One delivery state for the message log, as `Store.recordDelivery` receives it: the SQL stores
/// queue these in a `BatchWriter` and write a batch together, in arrival order.
struct DeliveryUpdate: Sendable {
    var tenant: String
    var messageID: String
    var providerMessageID: String?
    var state: String
    var at: Int64

    /// The batch's message keys (our id or the provider's), each once.
    static func keys(_ batch: [DeliveryUpdate]) -> [MessageKey] {
        Array(Set(batch.map { MessageKey(tenant: $0.tenant, id: $0.messageID) }))
    }

    /// Applies `batch` in arrival order to `found` (the rows its keys name, looked up by our id and
    /// by the provider's) exactly as one transaction per record would have: each record finds its
    /// row by our id first, then by the provider's (an id linked earlier in the batch counts), links
    /// the provider's id, and moves the state forward only. Returns the rows that changed, each once
    /// in its final form.
    static func apply(_ batch: [DeliveryUpdate], to found: [MessageLogRecord]) -> [MessageLogRecord] {
        var records: [MessageKey: MessageLogRecord] = [:]
        var byProvider: [MessageKey: MessageKey] = [:]
        for record in found {
            let key = MessageKey(tenant: record.tenant, id: record.messageID)
            records[key] = record
            if let provider = record.providerMessageID { byProvider[MessageKey(tenant: record.tenant, id: provider)] = key }
        }
        var changed: [MessageKey] = []
        var seen: Set<MessageKey> = []
        for update in batch {
            let wanted = MessageKey(tenant: update.tenant, id: update.messageID)
            guard let key = records[wanted] != nil ? wanted : byProvider[wanted], var record = records[key] else { continue }
            if let provider = update.providerMessageID {
                record.providerMessageID = provider
                byProvider[MessageKey(tenant: record.tenant, id: provider)] = key
            }
            if DeliveryState.accepts(update.state, over: record.state) {
                record.state = update.state
                record.updatedAt = update.at
            }
            if records[key] != record {
                records[key] = record
                if seen.insert(key).inserted { changed.append(key) }
            }
        }
        return changed.compactMap { records[$0] }
    }
}

/// A message by tenant and id (ours or the provider's).
struct MessageKey: Hashable, Sendable {
    var tenant: String
    var id: String
}
