import ArriwaChannels
import ArriwaCore
import ArriwaRuntime
import ArriwaStore
import Hummingbird
import Logging
import NIOCore

/// `GET /webhook/{tenant}/{secret}/cloud`: Meta's subscription handshake. With the right path
/// secret, `hub.mode=subscribe` and the tenant's verify token, answers 200 with `hub.challenge`
/// as text/plain; a wrong token gets 403, a wrong path secret 401 (both audited).
struct CloudVerificationController: Sendable {
    let store: any Store
    let deployments: Deployments
    let directory: ProviderDirectory
    let clock: any RuntimeClock
    let metrics: RuntimeMetrics
    let logger: Logger

    func verify(_ request: Request, context: some RequestContext) async throws -> Response {
        let tenant = context.parameters.get("tenant") ?? ""
        guard let credentials = directory.credentials(tenant: tenant), try await deployments.isDeployed(tenant: tenant) else {
            return JSONResponse.error(.notFound, "unknown tenant")
        }
        let query = request.uri.queryParameters
        guard WebhookSignature.secretsMatch(context.parameters.get("secret"), credentials.webhookSecret) else {
            try await audit(tenant: tenant, reason: "verification: wrong or unconfigured webhook secret in the URL path")
            return JSONResponse.error(.unauthorized, "wrong or unconfigured webhook secret in the URL path")
        }
        let outcome = CloudVerification.answer(mode: query.get("hub.mode"), token: query.get("hub.verify_token"),
                                               challenge: query.get("hub.challenge"), verifyToken: credentials.verifyToken)
        switch outcome {
        case .accepted(let challenge):
            logger.info("cloud webhook verified", metadata: ["tenant": "\(tenant)"])
            var headers = HTTPFields()
            headers[.contentType] = "text/plain"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: challenge)))
        case .refused(let reason):
            try await audit(tenant: tenant, reason: "verification: \(reason)")
            return JSONResponse.error(.forbidden, reason)
        }
    }

    func audit(tenant: String, reason: String) async throws {
        metrics.error(.webhook)
        logger.notice("cloud webhook verification refused", metadata: ["tenant": "\(tenant)", "reason": "\(reason)"])
        let now = await clock.now()
        try await store.appendAudit(tenant: tenant, record: AuditRecord(type: "webhook_refused", sessionID: "",
                                                                        detail: "provider=cloud \(reason)", at: now))
    }
}
