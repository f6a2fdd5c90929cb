import ArriwaChannels
import ArriwaCore
import ArriwaRuntime
import ArriwaStore
import Foundation
import Hummingbird
import Logging
import NIOCore

/// `POST /webhook/{tenant}/{secret}/{cloud|gupshup|evolution}`: a WhatsApp provider's webhook.
/// Checks the path secret (and Cloud's X-Hub-Signature-256), parses the provider's format, stores
/// the lead's sealed address when new, appends messages and mapped statuses to the durable inbox
/// and answers at once; the turn workers do the rest. Refusals are audited without the body.
struct ProviderWebhookController: Sendable {
    let provider: WebhookProvider
    let store: any Store
    let deployments: Deployments
    let directory: ProviderDirectory
    let contacts: ContactBook
    let clock: any RuntimeClock
    let metrics: RuntimeMetrics
    let maxBodyBytes: Int
    let wake: @Sendable () async -> Void
    let logger: Logger

    func receive(_ request: Request, context: some RequestContext) async throws -> Response {
        let tenant = context.parameters.get("tenant") ?? ""
        guard let credentials = directory.credentials(tenant: tenant), try await deployments.isDeployed(tenant: tenant) else {
            return JSONResponse.error(.notFound, "unknown tenant")
        }
        guard WebhookSignature.secretsMatch(context.parameters.get("secret"), credentials.webhookSecret) else {
            return try await refuse(tenant: tenant, reason: "wrong or unconfigured webhook secret in the URL path")
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBodyBytes {
            return JSONResponse.error(.contentTooLarge, "body over \(maxBodyBytes) bytes")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maxBodyBytes)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            return JSONResponse.error(.contentTooLarge, "body over \(maxBodyBytes) bytes")
        }
        let body = Array(buffer.readableBytesView)
        if provider == .cloud, let appSecret = credentials.appSecret {
            let header = request.headers.first { $0.name.canonicalName == "x-hub-signature-256" }?.value
            guard WebhookSignature.verifyCloud(body: body, header: header, appSecret: appSecret) else {
                let reason = header == nil ? "missing \(WebhookSignature.cloudHeader)" : "\(WebhookSignature.cloudHeader) does not match the body"
                return try await refuse(tenant: tenant, reason: reason)
            }
        }
        let now = await clock.now()
        let parse = provider.parse(body, now: now)
        if parse.isMalformed, let first = parse.unreadable ?? parse.rejected.first {
            metrics.error(.webhook)
            logger.info("provider webhook refused: malformed", metadata: ["tenant": "\(tenant)", "provider": "\(provider.rawValue)",
                                                                          "field": "\(first.field)"])
            return JSONResponse.error(.badRequest, "\(first.field) \(first.reason)", field: first.field)
        }
        return try await accept(parse, tenant: tenant, now: now)
    }

    /// Appends what the body held and answers with the counts.
    func accept(_ parse: WebhookParse, tenant: String, now: Int64) async throws -> Response {
        var items: [InboxItem] = []
        items.reserveCapacity(parse.messages.count + parse.statuses.count)
        for lead in parse.messages {
            try await contacts.remember(tenant: tenant, address: lead.address, now: now)
            items.append(InboxItem(tenant: tenant, lane: lead.address.lane, dedupeKey: lead.message.id, kind: .message,
                                   event: .inbound(lead.message), receivedAt: now))
        }
        var unknownStatuses = 0
        for status in parse.statuses {
            guard let log = try await messageLog(tenant: tenant, ids: status.providerMessageIDs) else {
                unknownStatuses += 1
                continue
            }
            items.append(InboxItem(tenant: tenant, lane: log.lane, dedupeKey: "status:\(log.messageID):\(status.state.rawValue)",
                                   kind: .status, event: .status(status.deliveryStatus(messageID: log.messageID)), receivedAt: now))
        }
        let (queued, duplicates) = try await InboxAppend.append(items, store: store, metrics: metrics, wake: wake)
        if items.isEmpty, parse.rejected.isEmpty, let reason = parse.ignored.first(where: { $0.hasPrefix("unknown shape") }) {
            try await store.appendAudit(tenant: tenant, record: AuditRecord(type: "webhook_ignored", sessionID: "",
                                                                            detail: "provider=\(provider.rawValue) \(reason)", at: now))
        }
        logger.debug("provider webhook accepted", metadata: [
            "tenant": "\(tenant)", "provider": "\(provider.rawValue)", "queued": "\(queued)", "duplicates": "\(duplicates)",
            "unknown_statuses": "\(unknownStatuses)", "ignored": "\(parse.ignored.count)", "rejected": "\(parse.rejected.count)",
        ])
        let status = queued > 0 ? "queued" : (duplicates > 0 ? "duplicate" : "ignored")
        if parse.ignored.isEmpty, parse.rejected.isEmpty {
            // The common answer, without a JSON serializer on the hot path (same keys, sorted).
            return Self.ack("{\"duplicates\":\(duplicates),\"queued\":\(queued),\"status\":\"\(status)\",\"unknown_statuses\":\(unknownStatuses)}")
        }
        var answer: [String: any Sendable] = ["status": status, "queued": queued, "duplicates": duplicates,
                                              "unknown_statuses": unknownStatuses]
        if !parse.ignored.isEmpty { answer["ignored"] = Array(parse.ignored.prefix(10)) }
        if !parse.rejected.isEmpty {
            answer["rejected"] = parse.rejected.prefix(10).map { ["field": $0.field, "reason": $0.reason] as [String: String] }
        }
        return JSONResponse.make(.ok, answer)
    }

    static func ack(_ json: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: json)))
    }

    /// The message log row of the first id that has one (our id or the provider's).
    func messageLog(tenant: String, ids: [String]) async throws -> MessageLogRecord? {
        for id in ids {
            if let log = try await store.messageLog(tenant: tenant, messageID: id) { return log }
        }
        return nil
    }

    /// 401 with an audit record (`webhook_refused`, the reason, never the body or a secret).
    func refuse(tenant: String, reason: String) async throws -> Response {
        metrics.error(.webhook)
        logger.notice("provider webhook refused", metadata: ["tenant": "\(tenant)", "provider": "\(provider.rawValue)", "reason": "\(reason)"])
        let now = await clock.now()
        try await store.appendAudit(tenant: tenant, record: AuditRecord(type: "webhook_refused", sessionID: "",
                                                                        detail: "provider=\(provider.rawValue) \(reason)", at: now))
        return JSONResponse.error(.unauthorized, reason)
    }
}
