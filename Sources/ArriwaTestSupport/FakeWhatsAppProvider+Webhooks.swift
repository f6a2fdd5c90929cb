import AsyncHTTPClient
import Crypto
public import Foundation
import Hummingbird
import NIOCore

extension FakeWhatsAppProvider {
    /// Posts a lead's text message to the webhook as the provider would (signed Cloud envelope, as
    /// `cloud-inbound-text.json`, or the neutral body). Returns the receiver's HTTP status.
    @discardableResult
    public func postInbound(from: String, text: String, id: String? = nil, name: String = "Camila Duarte",
                            at: Date = Date()) async throws -> Int {
        guard let webhook = await log.webhook else { throw NoWebhook() }
        let messageID = id ?? "wamid.IN\(UUID().uuidString.replacingOccurrences(of: "-", with: ""))"
        let seconds = String(Int64(at.timeIntervalSince1970))
        let body: [String: Any]
        switch webhook.format {
        case .cloud:
            body = envelope(["contacts": [["profile": ["name": name], "wa_id": from]],
                             "messages": [["from": from, "id": messageID, "timestamp": seconds, "type": "text", "text": ["body": text]]]])
        case .neutral:
            body = ["messages": [["id": messageID, "from": "+\(from)", "type": "text", "text": text, "timestamp": Int64(seconds) ?? 0,
                                  "profile_name": name]]]
        }
        return await post(body, to: webhook)
    }

    /// Posts one status of `wamid` now (also used by the scheduled statuses).
    @discardableResult
    public func postStatus(wamid: String, status: String, recipient: String, errorCode: Int? = nil, at: Date = Date()) async -> Int {
        guard let webhook = await log.webhook else { return 0 }
        let seconds = String(Int64(at.timeIntervalSince1970))
        let body: [String: Any]
        switch webhook.format {
        case .cloud:
            var entry: [String: Any] = ["id": wamid, "status": status, "timestamp": seconds, "recipient_id": recipient]
            if status == "sent" || status == "delivered" {
                entry["pricing"] = ["billable": false, "pricing_model": "PMP", "type": "free_customer_service", "category": "service"]
            }
            if let errorCode {
                entry["errors"] = [["code": errorCode, "title": Self.title(errorCode), "message": Self.title(errorCode),
                                    "error_data": ["details": Self.details(errorCode)],
                                    "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"]]
            }
            body = envelope(["statuses": [entry]])
        case .neutral:
            var entry: [String: Any] = ["id": wamid, "status": status, "timestamp": Int64(seconds) ?? 0]
            if let errorCode {
                entry["error_code"] = errorCode
                entry["error_title"] = Self.title(errorCode)
            }
            body = ["statuses": [entry]]
        }
        return await post(body, to: webhook)
    }

    func scheduleStatuses(wamid: String, recipient: String, failedCode: Int?) async {
        guard await log.webhook != nil else { return }
        let steps = failedCode == nil ? configuration.statuses : [StatusStep("failed", after: configuration.statuses.first?.after ?? .milliseconds(50))]
        let task = Task {
            var waited = Duration.zero
            for step in steps {
                do {
                    try await Task.sleep(for: step.after - waited)
                } catch {
                    return
                }
                waited = step.after
                await self.postStatus(wamid: wamid, status: step.status, recipient: recipient,
                                      errorCode: step.status == "failed" ? failedCode : nil)
            }
        }
        await log.track(task)
    }

    /// `{object, entry:[{id, changes:[{value:{messaging_product, metadata, …}, field:"messages"}]}]}`.
    func envelope(_ value: [String: Any]) -> [String: Any] {
        var full = value
        full["messaging_product"] = "whatsapp"
        full["metadata"] = ["display_phone_number": configuration.displayPhoneNumber, "phone_number_id": configuration.phoneNumberID]
        return ["object": "whatsapp_business_account",
                "entry": [["id": configuration.businessAccountID, "changes": [["value": full, "field": "messages"]]]]]
    }

    func post(_ object: [String: Any], to webhook: Webhook) async -> Int {
        let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        var request = HTTPClientRequest(url: webhook.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        switch webhook.format {
        case .cloud(let appSecret):
            request.headers.add(name: "X-Hub-Signature-256", value: Self.signature(body: body, appSecret: appSecret))
        case .neutral(let secret):
            request.headers.add(name: "Authorization", value: "Bearer \(secret)")
        }
        request.body = .bytes(ByteBuffer(bytes: body))
        var status = 0
        do {
            let response = try await client.execute(request, timeout: .seconds(10))
            status = Int(response.status.code)
            _ = try? await response.body.collect(upTo: 1 << 20)
        } catch {
            status = 0
        }
        await log.posted(Posted(body: body, httpStatus: status))
        return status
    }

    /// `sha256=<lowercase hex HMAC-SHA256(app secret, body)>`, as Meta signs webhooks.
    public static func signature(body: Data, appSecret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(appSecret.utf8)))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    static func graphError(code: Int, status: Int, message: String, details: String) -> Response {
        json(status: status, ["error": ["message": "(#\(code)) \(message)", "type": "OAuthException", "code": code,
                                        "error_data": ["messaging_product": "whatsapp", "details": details],
                                        "fbtrace_id": "AFakeTrace\(code)"]])
    }

    static func json(status: Int, _ object: [String: Any]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return Response(status: .init(code: status), headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Meta's titles (FACTS.md §2) for the codes tests inject.
    static func title(_ code: Int) -> String {
        switch code {
        case 131047: "Re-engagement message"
        case 131056: "(Business Account, Consumer Account) pair rate limit hit"
        case 130429: "Rate limit hit"
        case 131026: "Message undeliverable"
        case 131049: "This message was not delivered to maintain healthy ecosystem engagement."
        case 132001: "Template does not exist"
        default: "Error \(code)"
        }
    }

    static func details(_ code: Int) -> String {
        switch code {
        case 131047: "Message failed to send because more than 24 hours have passed since the customer last replied to this number."
        case 131056: "Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time."
        case 130429: "Cloud API message throughput has been reached."
        case 131026: "Unable to deliver message. Reasons can include: the recipient phone number is not a WhatsApp phone number."
        default: "Injected by the fake provider."
        }
    }
}
