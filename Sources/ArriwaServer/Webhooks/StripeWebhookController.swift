import ArriwaCore
import ArriwaRuntime
import ArriwaSinks
import ArriwaStore
import Foundation
import Hummingbird
import Logging
import NIOCore

/// `POST /v1/tenants/{tenant}/stripe/webhook`: verifies `Stripe-Signature` (t, v1, 300 s) with the
/// endpoint secret from `stripe.webhook_secret_env`, and turns a paid checkout
/// (`checkout.session.completed` with payment_status paid, or `async_payment_succeeded`) into the
/// external event `stripe.event` (default `payment.completed`) on the lane of the session named
/// in the checkout's metadata (`session_id`, else client_reference_id). Once per checkout
/// session: the inbox dedupes on it. Other event types are acknowledged and ignored.
struct StripeWebhookController: Sendable {
    let store: any Store
    let deployments: Deployments
    let configs: SinkConfigs
    let clock: any RuntimeClock
    let maxBodyBytes: Int
    let wake: @Sendable () async -> Void
    let logger: Logger

    func handle(_ request: Request, context: some RequestContext) async throws -> Response {
        guard let tenant = context.parameters.get("tenant"), !tenant.isEmpty,
              try await deployments.isDeployed(tenant: tenant) else {
            return JSONResponse.error(.notFound, "unknown tenant")
        }
        let config = try await configs.config(tenant: tenant)
        guard let secret = config.secret(config.settings.stripeSecretEnv) else {
            return JSONResponse.error(.notFound, "stripe is not configured for tenant '\(tenant)' (stripe.webhook_secret_env)")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxBodyBytes)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            return JSONResponse.error(.contentTooLarge, "body over \(maxBodyBytes) bytes")
        }
        let payload = Data(body.readableBytesView)
        let now = await clock.now()
        do {
            try StripeSignature.verify(payload: payload, header: Self.signatureHeader(request.headers), secret: secret,
                                       now: now / 1000)
        } catch {
            logger.notice("stripe webhook refused", metadata: ["tenant": "\(tenant)", "reason": "\(error)"])
            return JSONResponse.error(.badRequest, error.description, field: "Stripe-Signature")
        }
        let checkout: StripeCheckout
        do {
            checkout = try StripeCheckout(json: payload)
        } catch {
            return JSONResponse.error(.badRequest, error.message, field: error.field)
        }
        guard checkout.isPaid else {
            logger.info("stripe event ignored", metadata: ["tenant": "\(tenant)", "type": "\(checkout.type)", "event": "\(checkout.eventID)",
                                                           "payment_status": "\(checkout.paymentStatus ?? "-")"])
            return JSONResponse.make(.ok, ["status": "ignored", "reason": "\(checkout.type) with payment_status \(checkout.paymentStatus ?? "-")"])
        }
        guard let sessionID = checkout.sessionID, let session = try await store.session(tenant: tenant, id: sessionID) else {
            logger.warning("stripe payment for an unknown session", metadata: ["tenant": "\(tenant)", "event": "\(checkout.eventID)",
                                                                               "session": "\(checkout.sessionID ?? "-")"])
            return JSONResponse.make(.ok, ["status": "ignored", "reason": "no session \(checkout.sessionID ?? "(metadata.session_id missing)")"])
        }
        let event = checkout.externalEvent(name: config.settings.stripeEvent, sessionID: session.id, at: now)
        let item = InboxItem(tenant: tenant, lane: session.phoneHash, dedupeKey: "stripe:\(checkout.checkoutSessionID)", kind: .external,
                             event: .external(event), receivedAt: now)
        switch try await store.appendInbox(item) {
        case .appended:
            await wake()
            logger.info("stripe payment queued", metadata: ["tenant": "\(tenant)", "session": "\(session.id)", "event": "\(checkout.eventID)"])
            return JSONResponse.make(.ok, ["status": "queued", "event": config.settings.stripeEvent])
        case .duplicate:
            return JSONResponse.make(.ok, ["status": "duplicate"])
        }
    }

    static func signatureHeader(_ headers: HTTPFields) -> String? {
        headers.first { $0.name.canonicalName == "stripe-signature" }?.value
    }
}
