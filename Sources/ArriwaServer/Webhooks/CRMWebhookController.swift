import ArriwaCore
import ArriwaRuntime
import ArriwaSinks
import ArriwaStore
import Foundation
import Hummingbird
import Logging
import NIOCore

/// `POST /v1/tenants/{tenant}/crm/webhook`: a CRM's lead-change webhook (Kommo's form-encoded
/// `leads[status|update][i]…`, or the neutral JSON `{"leads": [{id, status_id, fields}]}`).
/// Authenticated by the tenant secret (`?secret=` — Kommo can only be given a URL — or the
/// Authorization / X-Arriwa-Secret header). Each lead's session is read from its `session_id`
/// lead field; each conversion level the change reaches (`crm.levels`, OR logic) is appended as
/// the external event `conversion.level`, deduped per (session, level), and the engine emits it
/// once per lead.
struct CRMWebhookController: Sendable {
    let store: any Store
    let deployments: Deployments
    let configs: SinkConfigs
    let secrets: TenantSecrets
    let clock: any RuntimeClock
    let maxBodyBytes: Int
    let wake: @Sendable () async -> Void
    let logger: Logger

    func handle(_ request: Request, context: some RequestContext) async throws -> Response {
        guard let tenant = context.parameters.get("tenant"), !tenant.isEmpty else { return JSONResponse.error(.notFound, "unknown tenant") }
        let presented = request.uri.queryParameters.get("secret") ?? InboundController.presentedSecret(request.headers)
        guard secrets.verify(tenant: tenant, presented: presented) else {
            logger.notice("crm webhook refused: bad or missing secret", metadata: ["tenant": "\(tenant)"])
            return JSONResponse.error(.unauthorized, "missing or wrong tenant secret (?secret=, Authorization: Bearer or X-Arriwa-Secret)")
        }
        guard try await deployments.isDeployed(tenant: tenant) else {
            return JSONResponse.error(.notFound, "tenant '\(tenant)' has no deployed flow version")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxBodyBytes)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            return JSONResponse.error(.contentTooLarge, "body over \(maxBodyBytes) bytes")
        }
        let data = Data(body.readableBytesView)
        let isJSON = request.headers[.contentType]?.lowercased().contains("json") == true
        let changes = isJSON ? CRMLeadChange.parseJSON(data) : CRMLeadChange.parseKommoForm(String(decoding: data, as: UTF8.self))
        guard let changes else {
            return JSONResponse.error(.badRequest, "expected {\"leads\": [{\"id\", \"status_id\", \"fields\"}]}", field: "leads")
        }
        let settings = try await configs.config(tenant: tenant).settings
        let now = await clock.now()
        var queued = 0
        var duplicates = 0
        var unmatched = 0
        for change in changes {
            let levels = ConversionLevels.reached(by: change, settings: settings)
            guard !levels.isEmpty else { continue }
            guard let sessionID = ConversionLevels.sessionID(of: change, settings: settings),
                  let session = try await store.session(tenant: tenant, id: sessionID) else {
                unmatched += 1
                logger.warning("crm level reached by a lead without a known session",
                               metadata: ["tenant": "\(tenant)", "crm_lead": "\(change.leadID)"])
                continue
            }
            for level in levels {
                let item = InboxItem(tenant: tenant, lane: session.phoneHash, dedupeKey: "crm-level:\(session.id):\(level.level)",
                                     kind: .external, event: .external(ConversionLevels.event(level, sessionID: session.id,
                                                                                              leadID: change.leadID, at: now)),
                                     receivedAt: now)
                switch try await store.appendInbox(item) {
                case .appended: queued += 1
                case .duplicate: duplicates += 1
                }
            }
        }
        if queued > 0 { await wake() }
        logger.info("crm webhook", metadata: ["tenant": "\(tenant)", "leads": "\(changes.count)", "levels_queued": "\(queued)",
                                              "duplicates": "\(duplicates)", "unmatched": "\(unmatched)"])
        return JSONResponse.make(.ok, ["status": queued > 0 ? "queued" : "ignored", "queued": queued, "duplicates": duplicates,
                                       "unmatched": unmatched])
    }
}
