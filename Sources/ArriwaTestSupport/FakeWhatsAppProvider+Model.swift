public import Foundation

extension FakeWhatsAppProvider {
    /// Where the fake posts webhooks (statuses, and inbound messages on request) and how it signs them.
    public struct Webhook: Sendable, Hashable {
        public enum Format: Sendable, Hashable {
            /// Meta's Cloud API envelope, signed `X-Hub-Signature-256: sha256=<HMAC-SHA256(app secret, body)>`.
            case cloud(appSecret: String)
            /// Arriwa's provider-neutral inbound body, with `Authorization: Bearer <secret>`.
            case neutral(secret: String)
        }

        public var url: String
        public var format: Format

        public init(url: String, format: Format) {
            self.url = url
            self.format = format
        }
    }

    /// One status the fake reports after a successful send, `after` the send was accepted.
    public struct StatusStep: Sendable, Hashable {
        public var status: String
        public var after: Duration

        public init(_ status: String, after: Duration) {
            self.status = status
            self.after = after
        }

        /// sent after 50 ms, delivered after 150 ms, read after 400 ms: realistic order, short enough for tests.
        public static let realistic: [StatusStep] = [
            StatusStep("sent", after: .milliseconds(50)), StatusStep("delivered", after: .milliseconds(150)),
            StatusStep("read", after: .milliseconds(400)),
        ]

        /// Human-scale delays for demos: sent after 0.5 s, delivered after 2 s, read after 6 s.
        public static let demo: [StatusStep] = [
            StatusStep("sent", after: .milliseconds(500)), StatusStep("delivered", after: .seconds(2)),
            StatusStep("read", after: .seconds(6)),
        ]
    }

    /// A failure to inject for a recipient's next send(s).
    public enum Failure: Sendable, Hashable {
        /// A synchronous Graph error body with this code (131047, 131056, 130429, 131026, …).
        case error(code: Int, httpStatus: Int = 400)
        /// An HTTP 5xx with no Graph error body.
        case serverError(status: Int = 503)
        /// No answer until the client gives up (held for `holdFor` at most).
        case timeout
        /// Accepted (200 + wamid), then a `failed` status webhook with this code (e.g. 131047, 131026).
        case failedStatus(code: Int)
    }

    /// One request the fake's send endpoint received.
    public struct Received: Sendable, Hashable {
        public var path: String
        /// Lower-cased header names.
        public var headers: [String: String]
        public var body: Data
        /// The recipient (`to`) and message type (`type`) of the body, when it parsed.
        public var to: String?
        public var type: String?
        /// The wamid answered, when the send was accepted.
        public var wamid: String?

        /// The body as a JSON object.
        public var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        }
    }

    /// `postInbound` without a configured webhook.
    public struct NoWebhook: Error, CustomStringConvertible {
        public var description: String { "the fake provider has no webhook URL configured" }
    }

    /// A webhook the fake posted, with the receiver's HTTP status (0: not reachable).
    public struct Posted: Sendable, Hashable {
        public var body: Data
        public var httpStatus: Int
    }
}
