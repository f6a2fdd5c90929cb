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
        /// The message (one reference: `OutboundMessage` keeps its fields in a copy-on-write box, so
        /// a state copy, or the snapshot a turn keeps for its rollback, retains one box, and the
        /// send effect and this record share it).
        public var message: OutboundMessage
        public var state: DeliveryStatus.State?
        public var stateAt: Int64?
        public var sentAt: Int64
        /// Failed deliveries of this content (resends count up).
        public var failures: Int

        init(message: OutboundMessage, state: DeliveryStatus.State?, stateAt: Int64?, sentAt: Int64, failures: Int) {
            self.message = message
            self.state = state
            self.stateAt = stateAt
            self.sentAt = sentAt
            self.failures = failures
        }

        // Equality, hashing and the Codable form (keys, order) are those of the plain fields.
        private enum CodingKeys: String, CodingKey {
            case message, state, stateAt, sentAt, failures
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            message = try container.decode(OutboundMessage.self, forKey: .message)
            state = try container.decodeIfPresent(DeliveryStatus.State.self, forKey: .state)
            stateAt = try container.decodeIfPresent(Int64.self, forKey: .stateAt)
            sentAt = try container.decode(Int64.self, forKey: .sentAt)
            failures = try container.decode(Int.self, forKey: .failures)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(message, forKey: .message)
            try container.encodeIfPresent(state, forKey: .state)
            try container.encodeIfPresent(stateAt, forKey: .stateAt)
            try container.encode(sentAt, forKey: .sentAt)
            try container.encode(failures, forKey: .failures)
        }

        public static func == (lhs: LastOutbound, rhs: LastOutbound) -> Bool {
            lhs.state == rhs.state && lhs.stateAt == rhs.stateAt && lhs.sentAt == rhs.sentAt && lhs.failures == rhs.failures
                && lhs.message == rhs.message
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(message)
            hasher.combine(state)
            hasher.combine(stateAt)
            hasher.combine(sentAt)
            hasher.combine(failures)
        }
    }

    /// The stored fields. `SessionState` keeps them in one heap box shared copy-on-write, so
    /// passing a state around (into a turn, out in the result, into the store) moves one
    /// reference instead of ~40 fields; their names are the Codable keys, as before.
    struct Fields: Sendable, Hashable {
        var id: String
        var subscriberID: String
        var phoneHash: String
        var tenant: String
        var flowVersion: String
        var status: Status
        var outcome: String?
        var haltReason: String?
        var language: String
        var profileName: String?
        var country: String?
        var timezone: String?
        var entry: String
        var attribution: [String: String]
        var referralRaw: String?
        var startedAt: Int64
        var lastInboundAt: Int64?
        var optedOut: Bool
        var snoozedUntil: Int64?
        var humanActive: Bool
        var humanSince: Int64?
        var stack: [Frame]
        var waitToken: UInt64
        var waitingSince: Int64?
        var timers: [String: TimerSpec]
        var step: String?
        /// Answer, raw answer, confidence and retries per step, in one record (one look-up per
        /// answer instead of four); stored as the four maps (`SessionState+Coding.swift`).
        var steps: [String: StepRecord]
        var nudges: Int
        var escalations: Int
        var promptNode: String?
        var lastOutbound: LastOutbound?
        var messageSeq: Int
        var emittedKeys: Set<String>
        var turn: Int
        var lastInboundText: String?
    }

    typealias Box = CopyOnWriteBox<Fields>

    private var box: Box

    /// Makes the box this value's own before a write (copy-on-write).
    @inline(__always)
    private mutating func unique() {
        Box.makeUnique(&box)
    }

    public var id: String {
        _read { yield box.fields.id }
        _modify {
            unique()
            yield &box.fields.id
        }
    }
    public var subscriberID: String {
        _read { yield box.fields.subscriberID }
        _modify {
            unique()
            yield &box.fields.subscriberID
        }
    }
    public var phoneHash: String {
        _read { yield box.fields.phoneHash }
        _modify {
            unique()
            yield &box.fields.phoneHash
        }
    }
    public var tenant: String {
        _read { yield box.fields.tenant }
        _modify {
            unique()
            yield &box.fields.tenant
        }
    }
    /// The deployed version the session started on; it never changes.
    public var flowVersion: String {
        _read { yield box.fields.flowVersion }
        _modify {
            unique()
            yield &box.fields.flowVersion
        }
    }
    public var status: Status {
        _read { yield box.fields.status }
        _modify {
            unique()
            yield &box.fields.status
        }
    }
    public var outcome: String? {
        _read { yield box.fields.outcome }
        _modify {
            unique()
            yield &box.fields.outcome
        }
    }
    public var haltReason: String? {
        _read { yield box.fields.haltReason }
        _modify {
            unique()
            yield &box.fields.haltReason
        }
    }
    public var language: String {
        _read { yield box.fields.language }
        _modify {
            unique()
            yield &box.fields.language
        }
    }
    public var profileName: String? {
        _read { yield box.fields.profileName }
        _modify {
            unique()
            yield &box.fields.profileName
        }
    }
    public var country: String? {
        _read { yield box.fields.country }
        _modify {
            unique()
            yield &box.fields.country
        }
    }
    public var timezone: String? {
        _read { yield box.fields.timezone }
        _modify {
            unique()
            yield &box.fields.timezone
        }
    }
    /// ctwa, qr, direct, link or organic.
    public var entry: String {
        _read { yield box.fields.entry }
        _modify {
            unique()
            yield &box.fields.entry
        }
    }
    /// Parsed attribution (ctwa_clid, campaign_id, ..., utm_*, product_id, ...). Set once at creation.
    public var attribution: [String: String] {
        _read { yield box.fields.attribution }
        _modify {
            unique()
            yield &box.fields.attribution
        }
    }
    /// The referral block as the provider sent it.
    public var referralRaw: String? {
        _read { yield box.fields.referralRaw }
        _modify {
            unique()
            yield &box.fields.referralRaw
        }
    }
    public var startedAt: Int64 {
        _read { yield box.fields.startedAt }
        _modify {
            unique()
            yield &box.fields.startedAt
        }
    }
    public var lastInboundAt: Int64? {
        _read { yield box.fields.lastInboundAt }
        _modify {
            unique()
            yield &box.fields.lastInboundAt
        }
    }
    public var optedOut: Bool {
        _read { yield box.fields.optedOut }
        _modify {
            unique()
            yield &box.fields.optedOut
        }
    }
    public var snoozedUntil: Int64? {
        _read { yield box.fields.snoozedUntil }
        _modify {
            unique()
            yield &box.fields.snoozedUntil
        }
    }
    public var humanActive: Bool {
        _read { yield box.fields.humanActive }
        _modify {
            unique()
            yield &box.fields.humanActive
        }
    }
    public var humanSince: Int64? {
        _read { yield box.fields.humanSince }
        _modify {
            unique()
            yield &box.fields.humanSince
        }
    }
    public var stack: [Frame] {
        _read { yield box.fields.stack }
        _modify {
            unique()
            yield &box.fields.stack
        }
    }
    /// The wait generation: bumped each time a wait (or handover) begins. Timers carry it.
    public var waitToken: UInt64 {
        _read { yield box.fields.waitToken }
        _modify {
            unique()
            yield &box.fields.waitToken
        }
    }
    public var waitingSince: Int64? {
        _read { yield box.fields.waitingSince }
        _modify {
            unique()
            yield &box.fields.waitingSince
        }
    }
    /// Timers scheduled and not yet fired or cancelled, by id.
    public var timers: [String: TimerSpec] {
        _read { yield box.fields.timers }
        _modify {
            unique()
            yield &box.fields.timers
        }
    }
    /// The manifest step being asked (set by wa.send/llm.classify nodes with `step`).
    public var step: String? {
        _read { yield box.fields.step }
        _modify {
            unique()
            yield &box.fields.step
        }
    }
    /// Clarifications and re-prompts sent per step. (A view of the per-step records: reading it
    /// builds the map, writing it replaces every step's count.)
    public var retries: [String: Int] {
        get { box.fields.steps.view(\.retries) }
        set {
            unique()
            box.fields.steps.replace(\.retries, with: newValue)
        }
    }
    /// The valid answer per step (an option id, or the cleaned text). A view, as `retries`.
    public var answers: [String: String] {
        get { box.fields.steps.view(\.answer) }
        set {
            unique()
            box.fields.steps.replace(\.answer, with: newValue)
        }
    }
    /// The text each answer was classified from. A view, as `retries`.
    public var answersRaw: [String: String] {
        get { box.fields.steps.view(\.raw) }
        set {
            unique()
            box.fields.steps.replace(\.raw, with: newValue)
        }
    }
    /// The classifier's confidence in each answer. A view, as `retries`.
    public var confidence: [String: Double] {
        get { box.fields.steps.view(\.confidence) }
        set {
            unique()
            box.fields.steps.replace(\.confidence, with: newValue)
        }
    }
    /// The per-step records themselves (what the engine reads and writes).
    var steps: [String: StepRecord] {
        _read { yield box.fields.steps }
        _modify {
            unique()
            yield &box.fields.steps
        }
    }
    /// Nudges sent in the current case (the current wait).
    public var nudges: Int {
        _read { yield box.fields.nudges }
        _modify {
            unique()
            yield &box.fields.nudges
        }
    }
    /// Escalations since the last valid answer (the circuit breaker's counter).
    public var escalations: Int {
        _read { yield box.fields.escalations }
        _modify {
            unique()
            yield &box.fields.escalations
        }
    }
    /// The last wa.send of the flow (`flow/node`), re-sent when the lead resumes.
    public var promptNode: String? {
        _read { yield box.fields.promptNode }
        _modify {
            unique()
            yield &box.fields.promptNode
        }
    }
    public var lastOutbound: LastOutbound? {
        _read { yield box.fields.lastOutbound }
        _modify {
            unique()
            yield &box.fields.lastOutbound
        }
    }
    public var messageSeq: Int {
        _read { yield box.fields.messageSeq }
        _modify {
            unique()
            yield &box.fields.messageSeq
        }
    }
    /// Idempotency keys already emitted by this session.
    public var emittedKeys: Set<String> {
        _read { yield box.fields.emittedKeys }
        _modify {
            unique()
            yield &box.fields.emittedKeys
        }
    }
    /// Turns applied (the runtime's commit key is session + turn).
    public var turn: Int {
        _read { yield box.fields.turn }
        _modify {
            unique()
            yield &box.fields.turn
        }
    }
    /// Texts of the last inbound message (for handover summaries).
    public var lastInboundText: String? {
        _read { yield box.fields.lastInboundText }
        _modify {
            unique()
            yield &box.fields.lastInboundText
        }
    }

    public init(id: String, contact: Contact, tenant: String, flowVersion: String, language: String, entry: String,
                attribution: [String: String], referralRaw: String?, startedAt: Int64) {
        box = Box(Fields(
            id: id, subscriberID: contact.subscriberID, phoneHash: contact.phoneHash, tenant: tenant, flowVersion: flowVersion,
            status: .waiting, outcome: nil, haltReason: nil, language: language, profileName: contact.profileName,
            country: contact.country, timezone: contact.timezone, entry: entry, attribution: attribution,
            referralRaw: referralRaw, startedAt: startedAt, lastInboundAt: nil, optedOut: false, snoozedUntil: nil,
            humanActive: false, humanSince: nil, stack: [], waitToken: 0, waitingSince: nil, timers: [:], step: nil,
            steps: [:], nudges: 0, escalations: 0, promptNode: nil,
            lastOutbound: nil, messageSeq: 0, emittedKeys: [], turn: 0, lastInboundText: nil))
    }

    public static func == (lhs: SessionState, rhs: SessionState) -> Bool {
        lhs.box === rhs.box || lhs.box.fields == rhs.box.fields
    }

    public func hash(into hasher: inout Hasher) {
        box.fields.hash(into: &hasher)
    }

    public init(from decoder: any Decoder) throws {
        box = Box(try Fields(from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        try box.fields.encode(to: encoder)
    }

    // MARK: - Rollback of a failed turn (the engine's undo log)

    /// The fields a turn writes as a whole, restored from this copy when the turn is rolled back.
    /// The collections a turn changes entry by entry (stack, timers, the per-step maps, emitted
    /// keys) are reverted by the turn's undo log instead: holding them here would make every write
    /// copy them. The session's identity (id, contact, tenant, version, language, entry,
    /// attribution, start) is not written by a turn (a new session replaces the whole state), so
    /// it is not copied either.
    struct Scalars {
        var status: Status
        var outcome: String?
        var haltReason: String?
        var lastInboundAt: Int64?
        var optedOut: Bool
        var snoozedUntil: Int64?
        var humanActive: Bool
        var humanSince: Int64?
        var waitToken: UInt64
        var waitingSince: Int64?
        var step: String?
        var nudges: Int
        var escalations: Int
        var promptNode: String?
        var lastOutbound: LastOutbound?
        var messageSeq: Int
        var turn: Int
        var lastInboundText: String?
    }

    func scalars() -> Scalars {
        let box = self.box
        return Scalars(status: box.fields.status, outcome: box.fields.outcome, haltReason: box.fields.haltReason, lastInboundAt: box.fields.lastInboundAt, optedOut: box.fields.optedOut, snoozedUntil: box.fields.snoozedUntil, humanActive: box.fields.humanActive, humanSince: box.fields.humanSince, waitToken: box.fields.waitToken, waitingSince: box.fields.waitingSince, step: box.fields.step, nudges: box.fields.nudges, escalations: box.fields.escalations, promptNode: box.fields.promptNode, lastOutbound: box.fields.lastOutbound, messageSeq: box.fields.messageSeq, turn: box.fields.turn, lastInboundText: box.fields.lastInboundText)
    }

    mutating func restore(_ scalars: Scalars) {
        unique()
        box.fields.status = scalars.status
        box.fields.outcome = scalars.outcome
        box.fields.haltReason = scalars.haltReason
        box.fields.lastInboundAt = scalars.lastInboundAt
        box.fields.optedOut = scalars.optedOut
        box.fields.snoozedUntil = scalars.snoozedUntil
        box.fields.humanActive = scalars.humanActive
        box.fields.humanSince = scalars.humanSince
        box.fields.waitToken = scalars.waitToken
        box.fields.waitingSince = scalars.waitingSince
        box.fields.step = scalars.step
        box.fields.nudges = scalars.nudges
        box.fields.escalations = scalars.escalations
        box.fields.promptNode = scalars.promptNode
        box.fields.lastOutbound = scalars.lastOutbound
        box.fields.messageSeq = scalars.messageSeq
        box.fields.turn = scalars.turn
        box.fields.lastInboundText = scalars.lastInboundText
    }

    /// Sizes the per-step records for `steps` answers and the emitted keys for `keys`, so a new
    /// session's maps do not regrow (and rehash) answer by answer. Storage only: equality,
    /// hashing and the Codable form do not see capacity.
    mutating func reserve(steps: Int, keys: Int) {
        unique()
        box.fields.steps.reserveCapacity(steps)
        box.fields.emittedKeys.reserveCapacity(keys)
    }

    /// Retries at the current step.
    public var currentRetries: Int { step.flatMap { box.fields.steps[$0]?.retries } ?? 0 }

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
