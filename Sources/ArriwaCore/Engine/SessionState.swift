/// A session's whole durable state: what the store persists after every turn. Plain values,
/// Codable, so a restart restores exactly this.
public struct SessionState: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Hashable, Codable {
        /// Running (only inside a turn) or waiting at a wait node / handover.
        case waiting
        /// The top-level flow reached an end node.
        case ended
        /// Stopped by a guard (step budget, circuit breaker): silent until an operator closes.
        case halted
    }

    /// One flow on the call stack: where it is and its variables.
    public struct Frame: Sendable, Hashable, Codable {
        public var flow: String
        /// The node the frame is at: the waiting node (top frame) or the call node (callers).
        public var node: String
        public var vars: [String: Value]

        public init(flow: String, node: String, vars: [String: Value]) {
            self.flow = flow
            self.node = node
            self.vars = vars
        }
    }

    /// The last message the bot sent, for nudges and delivery retries.
    public struct LastOutbound: Sendable, Hashable, Codable {
        public var message: OutboundMessage
        public var state: DeliveryStatus.State?
        public var stateAt: Int64?
        public var sentAt: Int64
        /// Failed deliveries of this content (resends count up).
        public var failures: Int
    }

    public var id: String
    public var subscriberID: String
    public var phoneHash: String
    public var tenant: String
    /// The deployed version the session started on; it never changes.
    public var flowVersion: String
    public var status: Status
    public var outcome: String?
    public var haltReason: String?
    public var language: String
    public var profileName: String?
    public var country: String?
    public var timezone: String?

    /// ctwa, qr, direct, link or organic.
    public var entry: String
    /// Parsed attribution (ctwa_clid, campaign_id, ..., utm_*, product_id, ...). Set once at creation.
    public var attribution: [String: String]
    /// The referral block as the provider sent it.
    public var referralRaw: String?

    public var startedAt: Int64
    public var lastInboundAt: Int64?
    public var optedOut: Bool
    public var snoozedUntil: Int64?
    public var humanActive: Bool
    public var humanSince: Int64?

    public var stack: [Frame]
    /// The wait generation: bumped each time a wait (or handover) begins. Timers carry it.
    public var waitToken: UInt64
    public var waitingSince: Int64?
    /// Timers scheduled and not yet fired or cancelled, by id.
    public var timers: [String: TimerSpec]

    /// The manifest step being asked (set by wa.send/llm.classify nodes with `step`).
    public var step: String?
    /// Clarifications and re-prompts sent per step.
    public var retries: [String: Int]
    public var answers: [String: String]
    public var answersRaw: [String: String]
    public var confidence: [String: Double]
    /// Nudges sent in the current case (the current wait).
    public var nudges: Int
    /// Escalations since the last valid answer (the circuit breaker's counter).
    public var escalations: Int
    /// The last wa.send of the flow (`flow/node`), re-sent when the lead resumes.
    public var promptNode: String?
    public var lastOutbound: LastOutbound?
    public var messageSeq: Int
    /// Idempotency keys already emitted by this session.
    public var emittedKeys: Set<String>
    /// Turns applied (the runtime's commit key is session + turn).
    public var turn: Int
    /// Texts of the last inbound message (for handover summaries).
    public var lastInboundText: String?

    public init(id: String, contact: Contact, tenant: String, flowVersion: String, language: String, entry: String,
                attribution: [String: String], referralRaw: String?, startedAt: Int64) {
        self.id = id
        subscriberID = contact.subscriberID
        phoneHash = contact.phoneHash
        self.tenant = tenant
        self.flowVersion = flowVersion
        status = .waiting
        self.language = language
        profileName = contact.profileName
        country = contact.country
        timezone = contact.timezone
        self.entry = entry
        self.attribution = attribution
        self.referralRaw = referralRaw
        self.startedAt = startedAt
        optedOut = false
        humanActive = false
        stack = []
        waitToken = 0
        timers = [:]
        retries = [:]
        answers = [:]
        answersRaw = [:]
        confidence = [:]
        nudges = 0
        escalations = 0
        messageSeq = 0
        emittedKeys = []
        turn = 0
    }

    /// Retries at the current step.
    public var currentRetries: Int { step.flatMap { retries[$0] } ?? 0 }

    /// Inside the 24-hour customer-service window at `now`.
    public func windowOpen(at now: Int64) -> Bool {
        guard let last = lastInboundAt else { return false }
        return last + 24 * 3_600_000 > now
    }

    public func isSnoozed(at now: Int64) -> Bool {
        guard let until = snoozedUntil else { return false }
        return now < until
    }
}
