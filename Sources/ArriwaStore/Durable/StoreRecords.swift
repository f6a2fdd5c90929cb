public import ArriwaCore
public import Foundation

/// A deployed flow version: the tenant directory's files as deployed, immutable, named by the
/// hash of their content (`Program.version`).
public struct FlowVersionRecord: Sendable, Hashable, Codable {
    public var tenant: String
    public var version: String
    /// Path relative to the tenant directory → file text (tenant.yaml, manifest.yaml, flows/*.yaml…).
    public var files: [String: String]
    public var createdAt: Int64

    public init(tenant: String, version: String, files: [String: String], createdAt: Int64) {
        self.tenant = tenant
        self.version = version
        self.files = files
        self.createdAt = createdAt
    }
}

/// A lead, found again by its lane (phone hash, or Meta's business-scoped user id).
public struct SubscriberRecord: Sendable, Hashable, Codable {
    public var tenant: String
    public var lane: String
    public var subscriberID: String
    public var phoneHash: String?
    /// Meta's business-scoped user id, when the provider gives one.
    public var bsuid: String?
    /// The phone number encrypted for display (never used as a key).
    public var phoneEncrypted: Data?
    public var createdAt: Int64

    public init(tenant: String, lane: String, subscriberID: String, phoneHash: String? = nil, bsuid: String? = nil,
                phoneEncrypted: Data? = nil, createdAt: Int64) {
        self.tenant = tenant
        self.lane = lane
        self.subscriberID = subscriberID
        self.phoneHash = phoneHash
        self.bsuid = bsuid
        self.phoneEncrypted = phoneEncrypted
        self.createdAt = createdAt
    }
}

/// What an inbox entry carries.
public enum InboxKind: String, Sendable, Hashable, Codable, CaseIterable {
    case message, status, timer, external, `operator`
}

/// An inbound event as the webhook (or the timer scheduler) hands it over.
public struct InboxItem: Sendable, Hashable {
    public var tenant: String
    /// The lead's serialisation key (see `Store`).
    public var lane: String
    /// Unique per tenant: the provider's message id, `status:{id}:{state}`, `timer:{id}@{due}`…
    public var dedupeKey: String
    public var kind: InboxKind
    public var event: EngineEvent
    public var receivedAt: Int64

    public init(tenant: String, lane: String, dedupeKey: String, kind: InboxKind, event: EngineEvent, receivedAt: Int64) {
        self.tenant = tenant
        self.lane = lane
        self.dedupeKey = dedupeKey
        self.kind = kind
        self.event = event
        self.receivedAt = receivedAt
    }
}

public enum InboxAppendResult: Sendable, Hashable {
    /// Stored; `seq` orders the entry within the whole inbox.
    case appended(seq: Int64)
    /// The dedupe key was already there; nothing changed.
    case duplicate
}

/// A pending inbox entry.
public struct InboxEntry: Sendable, Hashable {
    public var seq: Int64
    public var item: InboxItem

    public init(seq: Int64, item: InboxItem) {
        self.seq = seq
        self.item = item
    }
}

/// A lane leased to one worker, with its pending entries in arrival order.
public struct LaneClaim: Sendable, Hashable {
    public var tenant: String
    public var lane: String
    public var leaseUntil: Int64
    public var entries: [InboxEntry]
    /// The lane's subscriber and latest session as the claim found them, when the store read them
    /// with the claim (PostgreSQL does when the lane's first entry is a message, in the claim's
    /// call, after the lease is held: one round trip less per worker round); nil when it did not.
    /// Valid for the lane's first entry: the lease keeps every other worker off the lane from the
    /// claim on, and a turn's commit checks the session's turn anyway.
    public var state: LaneState?

    public init(tenant: String, lane: String, leaseUntil: Int64, entries: [InboxEntry], state: LaneState? = nil) {
        self.tenant = tenant
        self.lane = lane
        self.leaseUntil = leaseUntil
        self.entries = entries
        self.state = state
    }
}

/// A pending timer row.
public struct TimerRecord: Sendable, Hashable {
    public var tenant: String
    public var lane: String
    public var timer: TimerSpec

    public init(tenant: String, lane: String, timer: TimerSpec) {
        self.tenant = tenant
        self.lane = lane
        self.timer = timer
    }

    /// The inbox dedupe key of this timer firing (a handover timer id repeats across handovers,
    /// its due time does not).
    public var dedupeKey: String { "timer:\(timer.id)@\(timer.dueAt)" }
}

public enum OutboxStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// Waiting for (another) delivery attempt.
    case pending
    /// Delivered.
    case delivered
    /// Gave up after the configured attempts; `arriwa outbox retry` puts it back.
    case dead
}

/// An outbox row to write: one effect for one destination.
public struct OutboxItem: Sendable, Hashable {
    public var tenant: String
    /// Idempotency key, unique per (tenant, destination): the message id for sends, the event id
    /// for emissions.
    public var key: String
    /// `channel` for WhatsApp sends, `handover`, or a sink name (`capi`, `crm`, `webhook`…).
    public var destination: String
    public var sessionID: String
    public var lane: String
    public var effect: Effect
    public var availableAt: Int64

    public init(tenant: String, key: String, destination: String, sessionID: String, lane: String, effect: Effect, availableAt: Int64) {
        self.tenant = tenant
        self.key = key
        self.destination = destination
        self.sessionID = sessionID
        self.lane = lane
        self.effect = effect
        self.availableAt = availableAt
    }
}

public struct OutboxRecord: Sendable, Hashable {
    public var id: Int64
    public var item: OutboxItem
    public var status: OutboxStatus
    /// Delivery attempts started (a claim counts as one).
    public var attempts: Int
    public var nextAttemptAt: Int64
    public var lastError: String?
    public var createdAt: Int64
    public var deliveredAt: Int64?
    /// The provider's or sink's id for the delivered row (e.g. a wamid).
    public var remoteID: String?
    /// Set by `claimOutbox` when the previous attempt was leased and never completed — its
    /// dispatcher died or its lease ran out mid-delivery — so the remote may or may not have it.
    /// Sinks whose remote does not deduplicate (Meta's Conversions API for business messaging)
    /// refuse such a row rather than risk a second copy. A retry after a recorded failure, or a
    /// replay by an operator, is not in doubt.
    public var inDoubt = false

    public init(id: Int64, item: OutboxItem, status: OutboxStatus, attempts: Int, nextAttemptAt: Int64, lastError: String?,
                createdAt: Int64, deliveredAt: Int64?, remoteID: String?) {
        self.id = id
        self.item = item
        self.status = status
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.createdAt = createdAt
        self.deliveredAt = deliveredAt
        self.remoteID = remoteID
    }

    /// A claim after an earlier attempt (a retry, or a crashed dispatcher's lease running out):
    /// the sink may see this key again and must be told so.
    public var isRedelivery: Bool { attempts > 1 }
}

public enum OutboxOutcome: Sendable, Hashable {
    case delivered(remoteID: String?)
    case retry(at: Int64, error: String)
    case dead(error: String)
}

/// A message the channel sent: recorded with the outbox row's completion (`Store.completeOutbox`).
public struct SentMessage: Sendable, Hashable {
    public var tenant: String
    /// Our message id.
    public var messageID: String
    /// The provider's id for it (e.g. the wamid), when it gave one.
    public var providerMessageID: String?
    public var at: Int64

    public init(tenant: String, messageID: String, providerMessageID: String?, at: Int64) {
        self.tenant = tenant
        self.messageID = messageID
        self.providerMessageID = providerMessageID
        self.at = at
    }

    /// As a delivery record (`Store.recordDelivery`'s arguments).
    var update: DeliveryUpdate {
        DeliveryUpdate(tenant: tenant, messageID: messageID, providerMessageID: providerMessageID, state: DeliveryState.sent, at: at)
    }
}

extension Store {
    /// `completeOutbox` without a sent message.
    public func completeOutbox(id: Int64, owner: String, outcome: OutboxOutcome, now: Int64) async throws {
        try await completeOutbox(id: id, owner: owner, outcome: outcome, now: now, sent: nil)
    }
}

/// One `completeOutbox` call, as queued for a batched write.
struct OutboxCompletion: Sendable {
    var id: Int64
    var owner: String
    var outcome: OutboxOutcome
    var now: Int64
    var sent: SentMessage?
}

public struct OutboxFilter: Sendable, Hashable {
    public var tenant: String?
    public var status: OutboxStatus?
    public var destination: String?
    public var limit: Int

    public init(tenant: String? = nil, status: OutboxStatus? = nil, destination: String? = nil, limit: Int = 100) {
        self.tenant = tenant
        self.status = status
        self.destination = destination
        self.limit = limit
    }
}

/// An outbound message and where its delivery stands.
public struct MessageLogRecord: Sendable, Hashable {
    public var tenant: String
    public var messageID: String
    public var providerMessageID: String?
    public var sessionID: String
    public var lane: String
    public var node: String?
    /// pending, sent, delivered, read, failed (never moves back except failed → sent on retry).
    public var state: String
    public var updatedAt: Int64

    public init(tenant: String, messageID: String, providerMessageID: String? = nil, sessionID: String, lane: String,
                node: String? = nil, state: String = "pending", updatedAt: Int64) {
        self.tenant = tenant
        self.messageID = messageID
        self.providerMessageID = providerMessageID
        self.sessionID = sessionID
        self.lane = lane
        self.node = node
        self.state = state
        self.updatedAt = updatedAt
    }
}

/// An emitted funnel event, for analytics.
public struct EventLogRecord: Sendable, Hashable {
    public var tenant: String
    public var key: String
    public var sessionID: String
    public var event: String
    public var stream: String
    public var at: Int64

    public init(tenant: String, key: String, sessionID: String, event: String, stream: String, at: Int64) {
        self.tenant = tenant
        self.key = key
        self.sessionID = sessionID
        self.event = event
        self.stream = stream
        self.at = at
    }
}

/// One turn, applied all or nothing by `Store.commitTurn`.
public struct TurnCommit: Sendable {
    public var tenant: String
    public var lane: String
    /// The worker holding the lane's lease; the commit fails with `.leaseLost` otherwise.
    public var owner: String
    public var now: Int64
    /// Inbox entries this turn consumed; each must still be pending (else `.alreadyApplied`).
    public var consumed: [Int64]
    /// The session after the turn; nil when the turn touched no session (a status of an unknown
    /// message, a stale timer of a gone session).
    public var session: SessionState?
    /// The session's `turn` before this turn; nil when this turn created the session. The
    /// stored session must match (else `.turnConflict`).
    public var expectedTurn: Int?
    /// Written on first contact (ignored if the lane already has one).
    public var subscriber: SubscriberRecord?
    public var outbox: [OutboxItem]
    public var schedule: [TimerRecord]
    /// Timer ids to delete; applied before `schedule`, so a commit may cancel an id and schedule it anew.
    public var cancel: [String]
    public var audit: [AuditRecord]
    public var messages: [MessageLogRecord]
    public var events: [EventLogRecord]
    /// Our message ids the lead answered with this turn's inbound message: their delivery state
    /// moves to `replied` (where the delivery rule takes it).
    public var replied: [String]
    /// Gives the lane back in the same transaction (the worker has no more entries of it).
    public var releaseLane: Bool
    /// Inserts the outbox rows that are due at once already leased to this dispatcher (owner and
    /// lease end, one attempt started, as a claim leaves them), for it to deliver from memory
    /// (`TurnCommitResult.leased`) instead of claiming them. Rows available later are inserted
    /// unleased. Nil: every row is claimed as usual.
    public var outboxLease: OutboxLease?

    public init(tenant: String, lane: String, owner: String, now: Int64, consumed: [Int64], session: SessionState? = nil,
                expectedTurn: Int? = nil, subscriber: SubscriberRecord? = nil, outbox: [OutboxItem] = [],
                schedule: [TimerRecord] = [], cancel: [String] = [], audit: [AuditRecord] = [],
                messages: [MessageLogRecord] = [], events: [EventLogRecord] = [], replied: [String] = [], releaseLane: Bool = false,
                outboxLease: OutboxLease? = nil) {
        self.tenant = tenant
        self.lane = lane
        self.owner = owner
        self.now = now
        self.consumed = consumed
        self.session = session
        self.expectedTurn = expectedTurn
        self.subscriber = subscriber
        self.outbox = outbox
        self.schedule = schedule
        self.cancel = cancel
        self.audit = audit
        self.messages = messages
        self.events = events
        self.replied = replied
        self.releaseLane = releaseLane
        self.outboxLease = outboxLease
    }
}

/// A dispatcher's lease on the outbox rows a turn commit inserts (`TurnCommit.outboxLease`).
public struct OutboxLease: Sendable, Hashable {
    /// The dispatcher's owner name: its completion must name it, as after a claim.
    public var owner: String
    /// The lease's end: should the dispatcher never complete a row (its process died), the row is
    /// claimed again after this, marked in doubt.
    public var until: Int64

    public init(owner: String, until: Int64) {
        self.owner = owner
        self.until = until
    }
}

public struct TurnCommitResult: Sendable, Hashable {
    /// Outbox keys (`destination/key`) that were already present: the unique index refused them.
    public var duplicateOutboxKeys: [String]
    /// The outbox rows the commit stored under its `outboxLease`, as `claimOutbox` would have
    /// returned them: ready for the lease's dispatcher to deliver.
    public var leased: [OutboxRecord]

    public init(duplicateOutboxKeys: [String] = [], leased: [OutboxRecord] = []) {
        self.duplicateOutboxKeys = duplicateOutboxKeys
        self.leased = leased
    }
}

/// How to reach a lead: the WhatsApp address (phone number or business-scoped user id), sealed
/// (encrypted) by the channel layer before it reaches the store; the lane is its hash.
public struct ContactAddress: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        /// An E.164 phone number (wa_id).
        case phone
        /// Meta's business-scoped user id, for users without a visible phone number.
        case bsuid
        /// A provider-specific address (e.g. an Evolution LID JID).
        case other
    }

    public var tenant: String
    public var lane: String
    public var kind: Kind
    /// The sealed address (nonce + ciphertext + tag); opened only by the channel that sends.
    public var sealed: Data
    public var updatedAt: Int64

    public init(tenant: String, lane: String, kind: Kind, sealed: Data, updatedAt: Int64) {
        self.tenant = tenant
        self.lane = lane
        self.kind = kind
        self.sealed = sealed
        self.updatedAt = updatedAt
    }
}

/// What one `prune` call deleted.
public struct PruneCounts: Sendable, Hashable {
    public var inbox: Int
    public var outbox: Int

    public init(inbox: Int = 0, outbox: Int = 0) {
        self.inbox = inbox
        self.outbox = outbox
    }

    public var total: Int { inbox + outbox }
}
