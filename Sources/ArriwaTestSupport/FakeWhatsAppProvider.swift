import AsyncHTTPClient
import Foundation
import Hummingbird

/// A WhatsApp Cloud API stand-in on loopback, for tests and demos (`arriwa fake-provider`):
/// - `POST /{version}/{phone_number_id}/messages` checks the Bearer token, records the request and
///   answers as Meta does (`cloud-send-response.json`; templates with `message_status`), or with
///   an injected failure (Graph error bodies as `cloud-error-*.json`, 5xx, no answer);
/// - after an accepted send it posts the statuses (`StatusStep.realistic` by default: sent,
///   delivered, read) to the configured webhook as signed Cloud webhooks (`cloud-status-*.json`),
///   or a `failed` status with errors[] when one was injected;
/// - `postInbound` sends a lead's text message the same way (signed webhooks in);
/// - Gupshup's (`/wa/api/v1/msg`, `/wa/api/v1/template/msg`) and Evolution's
///   (`/message/sendText/{instance}`) send endpoints answer too (`apikey` header checked), without
///   webhooks, so those channels are tested over HTTP as well.
public final class FakeWhatsAppProvider: Sendable {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        public var accessToken: String
        /// The phone number id statuses name (the one of the request path is answered either way).
        public var phoneNumberID: String
        public var displayPhoneNumber: String
        public var businessAccountID: String
        /// Where webhooks go at first (`setWebhook` changes it).
        public var webhook: Webhook?
        public var statuses: [StatusStep]
        /// How long an injected timeout holds the request.
        public var holdFor: Duration

        public init(host: String = "127.0.0.1", port: Int = 0, accessToken: String, phoneNumberID: String = "118374659201847",
                    displayPhoneNumber: String = "15550100123", businessAccountID: String = "109238475610293",
                    webhook: Webhook? = nil, statuses: [StatusStep] = StatusStep.realistic, holdFor: Duration = .seconds(30)) {
            self.host = host
            self.port = port
            self.accessToken = accessToken
            self.phoneNumberID = phoneNumberID
            self.displayPhoneNumber = displayPhoneNumber
            self.businessAccountID = businessAccountID
            self.webhook = webhook
            self.statuses = statuses
            self.holdFor = holdFor
        }
    }

    public let configuration: Configuration
    public let port: Int
    /// `http://127.0.0.1:<port>`: the Graph API base URL to configure (ARRIWA_WHATSAPP_BASE_URL).
    public var baseURL: String { "http://\(configuration.host):\(port)" }
    let log: Log
    let client: HTTPClient
    private let task: Task<Void, any Error>

    private init(configuration: Configuration, port: Int, log: Log, client: HTTPClient, task: Task<Void, any Error>) {
        self.configuration = configuration
        self.port = port
        self.log = log
        self.client = client
        self.task = task
    }

    /// Starts the server (port 0: an ephemeral port) and returns once it listens.
    public static func start(_ configuration: Configuration) async throws -> FakeWhatsAppProvider {
        let log = Log(webhook: configuration.webhook)
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let router = Router()
        let holder = ProviderHolder()
        router.post("/:version/:phone/messages") { request, context -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            guard let provider = await holder.provider else { return Response(status: .serviceUnavailable) }
            return await provider.handleSend(request: request, path: request.uri.path, body: Data(body.readableBytesView))
        }
        // Gupshup's and Evolution's send endpoints, so their channels can be tested over HTTP too.
        for path in ["/wa/api/v1/msg", "/wa/api/v1/template/msg", "/message/sendText/:instance"] {
            router.post(RouterPath(path)) { request, context -> Response in
                let body = try await request.body.collect(upTo: 1 << 20)
                guard let provider = await holder.provider else { return Response(status: .serviceUnavailable) }
                return await provider.handleOtherSend(request: request, path: request.uri.path, body: Data(body.readableBytesView))
            }
        }
        let port: Int, task: Task<Void, any Error>
        do {
            (port, task) = try await FakeServerRunner.start(router, name: "fake-whatsapp", host: configuration.host, port: configuration.port)
        } catch {
            try? await client.shutdown()
            throw error
        }
        let provider = FakeWhatsAppProvider(configuration: configuration, port: port, log: log, client: client, task: task)
        await holder.set(provider)
        return provider
    }

    /// Makes the next `times` sends to `recipient` (digits, as in `to`) fail this way.
    public func inject(_ failure: Failure, for recipient: String, times: Int = 1) async {
        await log.inject(failure, for: recipient, times: times)
    }

    /// Makes every send to `recipient` fail this way (after any `inject`ed ones); nil ends it.
    public func injectAlways(_ failure: Failure?, for recipient: String) async {
        await log.injectAlways(failure, for: recipient)
    }

    /// Changes where webhooks go (e.g. once the server under test knows its port).
    public func setWebhook(_ webhook: Webhook?) async {
        await log.setWebhook(webhook)
    }

    /// Every send request received, in order.
    public func received() async -> [Received] { await log.received }

    /// Every webhook posted, in order.
    public func posted() async -> [Posted] { await log.posted }

    /// Stops the server and cancels webhooks not yet posted.
    public func shutdown() async {
        for pending in await log.cancelAll() { _ = await pending.value }
        task.cancel()
        _ = await task.result
        try? await client.shutdown()
    }

    func handleSend(request: Request, path: String, body: Data) async -> Response {
        var headers: [String: String] = [:]
        for field in request.headers {
            let name = field.name.canonicalName
            headers[name] = headers[name].map { "\($0), \(field.value)" } ?? field.value
        }
        let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        let to = (object?["to"] as? String) ?? (object?["recipient"] as? String)
        let type = object?["type"] as? String
        let index = await log.receive(Received(path: path, headers: headers, body: body, to: to, type: type))
        guard headers["authorization"] == "Bearer \(configuration.accessToken)" else {
            return Self.graphError(code: 190, status: 401, message: "Invalid OAuth access token - Cannot parse access token",
                                   details: "The access token is missing or not valid.")
        }
        guard let to, !to.isEmpty, let type, object?["messaging_product"] as? String == "whatsapp" else {
            return Self.graphError(code: 100, status: 400, message: "Invalid parameter",
                                   details: "messaging_product, to and type are required")
        }
        var asyncFailure: Int?
        switch await log.nextFailure(for: to) {
        case .error(let code, let status)?:
            return Self.graphError(code: code, status: status, message: Self.title(code), details: Self.details(code))
        case .serverError(let status)?:
            return Response(status: .init(code: status), body: ResponseBody(byteBuffer: .init(string: "upstream error")))
        case .timeout?:
            try? await Task.sleep(for: configuration.holdFor)
            return Response(status: .gatewayTimeout)
        case .failedStatus(let code)?:
            asyncFailure = code
        case nil:
            break
        }
        let wamid = await log.nextWamid()
        await log.setWamid(wamid, at: index)
        await scheduleStatuses(wamid: wamid, recipient: to, failedCode: asyncFailure)
        var message: [String: Any] = ["id": wamid]
        if type == "template" { message["message_status"] = "accepted" }
        return Self.json(status: 200, ["messaging_product": "whatsapp", "contacts": [["input": to, "wa_id": to]], "messages": [message]])
    }
}

/// Lets the router reach the provider created after the server started.
actor ProviderHolder {
    var provider: FakeWhatsAppProvider?

    func set(_ provider: FakeWhatsAppProvider) { self.provider = provider }
}
