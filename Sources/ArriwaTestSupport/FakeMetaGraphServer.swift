import Foundation
import Hummingbird

/// A loopback stand-in for Meta's Graph API as the conversion sinks use it:
/// - `POST /{version}/{dataset}/events` (Conversions API): checks each event like Meta does for
///   business messaging (allowed event names, event_time within 7 days, ctwa_clid and WABA id
///   present) and answers `{"events_received", "messages", "fbtrace_id"}` or a Graph error that
///   refuses the whole request;
/// - `POST` / `DELETE /{version}/{audience}/users` (Custom Audiences, form field `payload`):
///   keeps the audience members and answers `{audience_id, session_id, num_received, …}`.
///
/// Scripted failures (`enqueueFailure`, `enqueueAudienceFailure`) answer the next requests first:
/// 429, 5xx, rate limits.
/// Requests without `Authorization: Bearer <token>` matching `token` get Graph error 190.
public final class FakeMetaGraphServer: Sendable {
    /// A scripted answer: HTTP status and a Graph error body.
    public struct Failure: Sendable {
        public var status: Int
        public var body: String

        public init(status: Int, body: String) {
            self.status = status
            self.body = body
        }

        public static func graph(status: Int, code: Int, subcode: Int? = nil, message: String, transient: Bool = false) -> Failure {
            let sub = subcode.map { ",\"error_subcode\":\($0)" } ?? ""
            return Failure(status: status, body: """
            {"error":{"message":"\(message)","type":"OAuthException","code":\(code)\(sub),"is_transient":\(transient),"fbtrace_id":"AfakeTrace\(code)"}}
            """)
        }

        /// Meta's CAPI rate limit (HTTP 429).
        public static let tooManyRequests = graph(status: 429, code: 17, message: "User request limit reached", transient: true)
        public static let serverError = graph(status: 500, code: 2, message: "An unexpected error has occurred. Please retry your request later.", transient: true)
        /// Custom Audiences' rate limit: HTTP 400 with code 80003.
        public static let audienceRateLimit = graph(status: 400, code: 80003, message: "There have been too many calls to this ad-account. Wait a bit and try again.")
    }

    /// One CAPI event as received.
    public struct ReceivedEvent: Sendable {
        public var dataset: String
        public var event: RecordedJSON
        public var partnerAgent: String?
        public var eventID: String? { event["event_id"]?.string }
        public var eventName: String? { event["event_name"]?.string }
    }

    /// One audience request as received.
    public struct AudienceRequest: Sendable, Hashable {
        public var method: String
        public var audienceID: String
        /// `payload.schema` as sent (a string or the first entry of an array).
        public var schema: String
        public var hashes: [String]
    }

    public static let allowedBusinessMessagingEvents: Set<String> = [
        "Purchase", "LeadSubmitted", "QualifiedLead", "InitiateCheckout", "AddToCart", "ViewContent", "OrderCreated",
        "OrderShipped", "OrderDelivered", "OrderCanceled", "OrderReturned", "CartAbandoned", "RatingProvided", "ReviewProvided",
    ]

    actor State {
        var token: String
        var failures: [Failure] = []
        var audienceFailures: [Failure] = []
        var events: [ReceivedEvent] = []
        var eventRequests = 0
        var audienceRequests: [AudienceRequest] = []
        var members: [String: Set<String>] = [:]
        var now: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }

        init(token: String) {
            self.token = token
        }

        func nextFailure() -> Failure? { failures.isEmpty ? nil : failures.removeFirst() }
        func nextAudienceFailure() -> Failure? { audienceFailures.isEmpty ? nil : audienceFailures.removeFirst() }
        func enqueue(_ more: [Failure]) { failures += more }
        func enqueueAudience(_ more: [Failure]) { audienceFailures += more }
        func setNow(_ seconds: Int64) { now = { seconds } }
        func currentTime() -> Int64 { now() }
        func countEventRequest() { eventRequests += 1 }
        func accept(_ received: [ReceivedEvent]) { events += received }
        func apply(_ request: AudienceRequest) {
            audienceRequests.append(request)
            var set = members[request.audienceID] ?? []
            if request.method == "DELETE" { set.subtract(request.hashes) } else { set.formUnion(request.hashes) }
            members[request.audienceID] = set
        }
    }

    public let port: Int
    /// The Graph base URL to configure (`conversions.graph_url_env`).
    public var baseURL: String { "http://127.0.0.1:\(port)" }
    let state: State
    private let task: Task<Void, any Error>

    private init(port: Int, state: State, task: Task<Void, any Error>) {
        self.port = port
        self.state = state
        self.task = task
    }

    public static func start(token: String = "test-meta-token") async throws -> FakeMetaGraphServer {
        let state = State(token: token)
        let router = Router()
        router.post("/:version/:object/events") { request, context -> Response in
            let dataset = context.parameters.get("object") ?? ""
            let buffer = try await request.body.collect(upTo: 16 << 20)
            return await Self.events(Data(buffer.readableBytesView), dataset: dataset, headers: FakeServerRunner.headers(request), state: state)
        }
        for method in ["POST", "DELETE"] {
            let handler: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, context in
                let audience = context.parameters.get("object") ?? ""
                let buffer = try await request.body.collect(upTo: 16 << 20)
                return await Self.audience(method: method, body: String(buffer: buffer), audience: audience,
                                           headers: FakeServerRunner.headers(request), state: state)
            }
            if method == "POST" { router.post("/:version/:object/users", use: handler) } else { router.delete("/:version/:object/users", use: handler) }
        }
        let (port, task) = try await FakeServerRunner.start(router, name: "fake-meta-graph")
        return FakeMetaGraphServer(port: port, state: state, task: task)
    }

    static func authorized(_ headers: [String: String], _ state: State) async -> Bool {
        headers["authorization"] == "Bearer \(await state.token)"
    }

    static let unauthorized = Failure.graph(status: 401, code: 190, message: "Invalid OAuth access token.")

    static func events(_ body: Data, dataset: String, headers: [String: String], state: State) async -> Response {
        await state.countEventRequest()
        guard await authorized(headers, state) else { return FakeServerRunner.json(401, unauthorized.body) }
        if let failure = await state.nextFailure() { return FakeServerRunner.json(failure.status, failure.body) }
        guard let json = try? JSONDecoder().decode(RecordedJSON.self, from: body), let data = json["data"]?.array, !data.isEmpty else {
            return FakeServerRunner.json(400, Failure.graph(status: 400, code: 100, message: "The parameter data is required").body)
        }
        let now = await state.currentTime()
        for event in data {
            if let refusal = refusal(event, now: now) { return FakeServerRunner.json(400, refusal.body) }
        }
        await state.accept(data.map { ReceivedEvent(dataset: dataset, event: $0, partnerAgent: json["partner_agent"]?.string) })
        return FakeServerRunner.json(200, "{\"events_received\":\(data.count),\"messages\":[],\"fbtrace_id\":\"AfakeTrace\(dataset)\"}")
    }

    /// Meta refuses the whole request for one bad event.
    static func refusal(_ event: RecordedJSON, now: Int64) -> Failure? {
        guard let name = event["event_name"]?.string, let time = event["event_time"]?.number, event["action_source"]?.string != nil else {
            return .graph(status: 400, code: 100, message: "Invalid parameter: event_name, event_time and action_source are required")
        }
        if Int64(time) < now - 7 * 86_400 {
            return .graph(status: 400, code: 100, subcode: 2_804_003, message: "Invalid parameter: event_time is more than 7 days ago")
        }
        guard event["action_source"]?.string == "business_messaging" else {
            return event["user_data"]?["ph"] == nil ? .graph(status: 400, code: 100, message: "Invalid parameter: user_data is missing customer information") : nil
        }
        if !allowedBusinessMessagingEvents.contains(name) {
            return Failure(status: 400, body: """
            {"error":{"message":"Invalid parameter","type":"OAuthException","code":100,"error_subcode":2804066,"is_transient":false,"error_user_title":"Messaging Event Invalid Event Type","error_user_msg":"The event name is not supported for business messaging events.","fbtrace_id":"A1b2C3d4E5f6G7h8I9j0"}}
            """)
        }
        guard event["messaging_channel"]?.string == "whatsapp", event["user_data"]?["whatsapp_business_account_id"]?.string != nil,
              event["user_data"]?["ctwa_clid"]?.string != nil || event["user_data"]?["ph"] != nil else {
            return .graph(status: 400, code: 100, message: "Invalid parameter: business messaging events need messaging_channel and user_data")
        }
        return nil
    }

    static func audience(method: String, body: String, audience: String, headers: [String: String], state: State) async -> Response {
        guard await authorized(headers, state) else { return FakeServerRunner.json(401, unauthorized.body) }
        if let failure = await state.nextAudienceFailure() { return FakeServerRunner.json(failure.status, failure.body) }
        guard let payloadText = FakeServerRunner.form(body)["payload"],
              let payload = try? JSONDecoder().decode(RecordedJSON.self, from: Data(payloadText.utf8)) else {
            return FakeServerRunner.json(400, Failure.graph(status: 400, code: 100, message: "The parameter payload is required").body)
        }
        let schema = payload["schema"]?.string ?? payload["schema"]?[0]?.string ?? ""
        let hashes = (payload["data"]?.array ?? []).compactMap { $0.string ?? $0[0]?.string }
        guard ["PHONE_SHA256", "PHONE"].contains(schema), !hashes.isEmpty, hashes.count <= 10_000 else {
            return FakeServerRunner.json(400, Failure.graph(status: 400, code: 100, message: "Invalid schema or data (1 to 10000 entries)").body)
        }
        let invalid = hashes.filter { $0.count != 64 || !$0.allSatisfy(\.isHexDigit) }
        await state.apply(AudienceRequest(method: method, audienceID: audience, schema: schema, hashes: hashes.filter { !invalid.contains($0) }))
        return FakeServerRunner.json(200, """
        {"audience_id":"\(audience)","session_id":"9778993","num_received":\(hashes.count),"num_invalid_entries":\(invalid.count),"invalid_entry_samples":{}}
        """)
    }

    /// Answers the next CAPI requests with these failures, in order.
    public func enqueueFailure(_ failures: Failure...) async { await state.enqueue(failures) }
    /// Answers the next Custom Audiences requests with these failures, in order.
    public func enqueueAudienceFailure(_ failures: Failure...) async { await state.enqueueAudience(failures) }
    /// Fixes the fake's clock (Unix seconds) for the 7-day event_time check.
    public func setNow(_ seconds: Int64) async { await state.setNow(seconds) }
    /// Every accepted CAPI event, in arrival order.
    public func events() async -> [ReceivedEvent] { await state.events }
    /// CAPI requests received (accepted or not).
    public func eventRequestCount() async -> Int { await state.eventRequests }
    public func audienceRequests() async -> [AudienceRequest] { await state.audienceRequests }
    /// The current members (phone hashes) of an audience.
    public func members(of audienceID: String) async -> Set<String> { await state.members[audienceID] ?? [] }

    public func shutdown() async {
        task.cancel()
        _ = await task.result
    }
}
