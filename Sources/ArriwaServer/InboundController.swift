import ArriwaCore
import ArriwaRuntime
import ArriwaStore
import Foundation
import Hummingbird
import Logging
import NIOCore

/// `POST /v1/tenants/{tenant}/inbound`: verify, parse, dedupe, append to the inbox, answer fast,
/// wake the workers. Processing happens asynchronously in the turn workers.
struct InboundController: Sendable {
    let store: any Store
    let deployments: Deployments
    let secrets: TenantSecrets
    let clock: any RuntimeClock
    let metrics: RuntimeMetrics
    let maxBodyBytes: Int
    let wake: @Sendable () async -> Void
    let logger: Logger

    func handle(_ request: Request, context: some RequestContext) async throws -> Response {
        guard let tenant = context.parameters.get("tenant"), !tenant.isEmpty else {
            return JSONResponse.error(.notFound, "unknown tenant")
        }
        let presented = Self.presentedSecret(request.headers)
        guard secrets.verify(tenant: tenant, presented: presented) else {
            metrics.error(.webhook)
            logger.notice("webhook refused: bad or missing secret", metadata: ["tenant": "\(tenant)"])
            return JSONResponse.error(.unauthorized, "missing or wrong tenant secret (Authorization: Bearer <secret> or X-Arriwa-Secret)")
        }
        guard try await deployments.isDeployed(tenant: tenant) else {
            return JSONResponse.error(.notFound, "tenant '\(tenant)' has no deployed flow version")
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBodyBytes {
            return JSONResponse.error(.contentTooLarge, "body over \(maxBodyBytes) bytes")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxBodyBytes)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            return JSONResponse.error(.contentTooLarge, "body over \(maxBodyBytes) bytes")
        }
        let now = await clock.now()
        let items: [InboxItem]
        var ignored = 0
        do {
            let payload = try InboundPayload.decode(Data(body.readableBytesView))
            var collected: [InboxItem] = []
            for (index, message) in (payload.messages ?? []).enumerated() {
                collected.append(try message.inboxItem(tenant: tenant, index: index, now: now))
            }
            for (index, status) in (payload.statuses ?? []).enumerated() {
                let delivery = try status.deliveryStatus(index: index, now: now)
                // A status joins the lane of the lead the message went to.
                guard let log = try await store.messageLog(tenant: tenant, messageID: delivery.messageID) else {
                    ignored += 1
                    continue
                }
                collected.append(InboxItem(tenant: tenant, lane: log.lane, dedupeKey: "status:\(delivery.messageID):\(delivery.state.rawValue)",
                                           kind: .status, event: .status(delivery), receivedAt: now))
            }
            items = collected
        } catch let error as InboundError {
            metrics.error(.webhook)
            logger.info("webhook refused: malformed body", metadata: ["tenant": "\(tenant)", "field": "\(error.field)"])
            return JSONResponse.error(.badRequest, error.message, field: error.field)
        }
        let (queued, duplicates) = try await InboxAppend.append(items, store: store, metrics: metrics, wake: wake)
        logger.debug("webhook accepted", metadata: ["tenant": "\(tenant)", "queued": "\(queued)", "duplicates": "\(duplicates)",
                                                    "ignored": "\(ignored)"])
        let status = queued > 0 ? "queued" : (duplicates > 0 ? "duplicate" : "ignored")
        return JSONResponse.make(.ok, ["status": status, "queued": queued, "duplicates": duplicates, "ignored": ignored])
    }

    static func presentedSecret(_ headers: HTTPFields) -> String? {
        if let authorization = headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { return String(parts[1]).trimmingCharacters(in: .whitespaces) }
        }
        for field in headers where field.name.canonicalName == "x-arriwa-secret" { return field.value }
        return nil
    }
}
