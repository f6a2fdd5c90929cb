public import ArriwaCore

/// A conversation test (`flows/<tenant>/tests/*.yaml`): a lead's messages, taps, delivery
/// statuses and clock advances, each with what the funnel must have done. See docs/testing.md.
public struct ConversationScript: Sendable {
    public struct Lead: Sendable {
        public var phone: String
        public var name: String?
        public var language: String?
        public var referral: [String: String]?
    }

    public enum Action: Sendable {
        case say(String)
        case tap(String)
        case media(type: String, caption: String?)
        case status(DeliveryStatus.State, errorCode: Int?, message: MessageRef)
        case advance(Int64)
        case event(String, payload: [String: Value])
        case operatorClose
        /// Switch to another lead (by phone) for the following steps.
        case lead(Lead)
        /// A new flow version is deployed (a directory relative to the test file).
        case deploy(String)
    }

    public enum MessageRef: Sendable {
        /// The last bot message of the session.
        case last
        /// The n-th bot message of the test (1-based).
        case index(Int)
    }

    public struct BotExpectation: Sendable {
        public var text: String?
        public var contains: String?
        public var buttons: [String]?
        public var list: [String]?
        public var template: String?
        public var purpose: String?
        public var location: SourceLocation
    }

    public struct EventExpectation: Sendable {
        public var event: String
        public var stream: String?
        public var key: String?
        public var keyPrefix: String?
        public var audiencesAdd: [String]?
        public var audiencesRemove: [String]?
        public var crmFields: [String: String]?
        public var attribution: [String: String]?
        public var location: SourceLocation
    }

    public struct Expectation: Sendable {
        public var bot: [BotExpectation]?
        public var events: [EventExpectation]?
        public var session: [(key: String, value: String, location: SourceLocation)] = []
        public var vars: [(key: String, value: String, location: SourceLocation)] = []
        public var answers: [(key: String, value: String, location: SourceLocation)] = []
        public var attribution: [(key: String, value: String, location: SourceLocation)] = []
        public var audit: [String]?
        public var errors: [String]?
        public var handover: Bool?
        public var sessions: Int?
    }

    public struct Step: Sendable {
        public var action: Action?
        public var expect: Expectation?
        public var location: SourceLocation
        /// The action as written, for reports: `tap: Implants`.
        public var label: String
    }

    public var file: String
    public var name: String
    public var lead: Lead
    public var steps: [Step]
}
