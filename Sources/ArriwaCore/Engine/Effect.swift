/// An intent the engine produced. The runtime writes them to the outbox / timer table in the
/// same commit as the new state; nothing here has happened yet.
///
/// The large payloads (messages, emissions, handovers: hundreds of bytes each) are boxed
/// (`indirect`, or the copy-on-write box of `OutboundMessage` and `Emission`), so an effect is a few words: the
/// effects array of a turn stays small, and copying an effect retains one box instead of every field.
public enum Effect: Sendable, Hashable, Codable {
    case send(OutboundMessage)
    case emit(Emission)
    case schedule(TimerSpec)
    case cancel(timerID: String)
    indirect case handover(Handover)
    case audit(AuditRecord)
    case error(EngineFailure)
}

/// A timer row: (session, due time, token). `token` is the wait generation it belongs to; a timer
/// whose token is no longer the session's is stale and ignored when it fires.
public struct TimerSpec: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// The wait node's timeout.
        case timeout
        /// A nudge of the wait node (`index` into its nudges).
        case nudge
        /// auto_return_hours after a handover.
        case handoverReturn = "handover_return"
    }

    /// Unique per session and purpose: `{sessionID}/{token}/{kind}[/{index}]`.
    public var id: String
    public var sessionID: String
    public var kind: Kind
    public var token: UInt64
    public var index: Int
    /// Unix milliseconds.
    public var dueAt: Int64

    public init(sessionID: String, kind: Kind, token: UInt64, index: Int = 0, dueAt: Int64) {
        self.sessionID = sessionID
        self.kind = kind
        self.token = token
        self.index = index
        self.dueAt = dueAt
        id = TimerSpec.id(sessionID: sessionID, kind: kind, token: token, index: index)
    }

    public static func id(sessionID: String, kind: Kind, token: UInt64, index: Int = 0) -> String {
        // Built in one buffer of the final size (interpolation grew it once or twice).
        var id = String()
        id.reserveCapacity(sessionID.utf8.count + 40)
        id += sessionID
        switch kind {
        case .timeout:
            id += "/"
            id += String(token)
            id += "/timeout"
        case .nudge:
            id += "/"
            id += String(token)
            id += "/nudge/"
            id += String(index)
        case .handoverReturn:
            id += "/handover"
        }
        return id
    }
}

public enum MessageContent: Sendable, Hashable, Codable {
    public struct Button: Sendable, Hashable, Codable {
        public var id: String
        public var title: String
        public init(id: String, title: String) {
            self.id = id
            self.title = title
        }
    }

    public struct Row: Sendable, Hashable, Codable {
        public var id: String
        public var title: String
        public var description: String?
        public init(id: String, title: String, description: String? = nil) {
            self.id = id
            self.title = title
            self.description = description
        }
    }

    public struct Section: Sendable, Hashable, Codable {
        public var title: String?
        public var rows: [Row]
        public init(title: String?, rows: [Row]) {
            self.title = title
            self.rows = rows
        }
    }

    public struct TemplateMessage: Sendable, Hashable, Codable {
        public var name: String
        public var language: String
        public var params: [String]
        public init(name: String, language: String, params: [String]) {
            self.name = name
            self.language = language
            self.params = params
        }
    }

    case text(String)
    case buttons(body: String, buttons: [Button], header: String?, footer: String?)
    case list(body: String, button: String, sections: [Section], header: String?, footer: String?)
    case template(TemplateMessage)

    /// The main text (body), or the template's name.
    public var body: String {
        switch self {
        case .text(let text): text
        case .buttons(let body, _, _, _): body
        case .list(let body, _, _, _, _): body
        case .template(let template): "template \(template.name)"
        }
    }

    /// Reply ids and titles the lead can tap.
    public var choices: [Button] {
        switch self {
        case .buttons(_, let buttons, _, _): buttons
        case .list(_, _, let sections, _, _): sections.flatMap { $0.rows.map { Button(id: $0.id, title: $0.title) } }
        case .text, .template: []
        }
    }
}

/// A conversation handed to a human, with what they need to pick it up.
public struct Handover: Sendable, Hashable, Codable {
    public var sessionID: String
    public var subscriberID: String
    public var origin: String
    public var reason: String
    /// One readable paragraph: entry, step, answers, last message.
    public var summary: String
    public var step: String?
    public var answers: [String: String]
    public var lastMessage: String?
    public var attribution: [String: String]

    public init(sessionID: String, subscriberID: String, origin: String, reason: String, summary: String, step: String?,
                answers: [String: String], lastMessage: String?, attribution: [String: String]) {
        self.sessionID = sessionID
        self.subscriberID = subscriberID
        self.origin = origin
        self.reason = reason
        self.summary = summary
        self.step = step
        self.answers = answers
        self.lastMessage = lastMessage
        self.attribution = attribution
    }
}

/// A line of the audit trail: keyword interrupts, suppressed sends, guards that fired.
public struct AuditRecord: Sendable, Hashable, Codable {
    /// keyword_interrupt, send_suppressed, nudge_suppressed, emit_duplicate, reprompt_limit,
    /// breaker_open, step_budget, session_started, handover, handover_closed, delivery_failed, ...
    public var type: String
    public var sessionID: String
    public var detail: String
    public var at: Int64

    public init(type: String, sessionID: String, detail: String, at: Int64) {
        self.type = type
        self.sessionID = sessionID
        self.detail = detail
        self.at = at
    }
}

/// A turn the engine had to stop (runaway loop, evaluation error, missing edge).
public struct EngineFailure: Sendable, Hashable, Codable, Error {
    public enum Code: String, Sendable, Hashable, Codable {
        case stepBudgetExceeded = "step_budget_exceeded"
        case evaluation
        case missingEdge = "missing_edge"
        case unknownStep = "unknown_step"
        case versionMismatch = "version_mismatch"
        case breakerOpen = "breaker_open"
        case repromptLimit = "reprompt_limit"
        case deliveryFailed = "delivery_failed"
        case classifierFailed = "classifier_failed"
    }

    public var code: Code
    public var message: String
    /// `flow/node` where it happened.
    public var origin: String?

    public init(code: Code, message: String, origin: String? = nil) {
        self.code = code
        self.message = message
        self.origin = origin
    }
}
