import ArriwaRuntime
import AsyncHTTPClient
import Foundation
import NIOHTTP1

/// The Kommo v4 calls of the CRM sink, against `baseURL` (`https://{subdomain}.kommo.com`, or a
/// fake) with a long-lived Bearer token. 429 and 5xx are transient, other 4xx permanent (with
/// Kommo's problem+json detail in the message).
struct KommoClient: Sendable {
    let client: HTTPClient
    let baseURL: String
    let token: String
    let timeout: Duration

    /// `GET /api/v4/leads?query=<text>` (204 when nothing matches).
    func findLeads(query: String) async throws(DeliveryError) -> [KommoEntity] {
        let response = try await call(.GET, "/api/v4/leads?query=\(SinkHTTP.formEncode(query))", body: nil)
        return KommoJSON.embedded(response.body, "leads").compactMap(KommoEntity.init)
    }

    /// `GET /api/v4/contacts?query=<text>`.
    func findContacts(query: String) async throws(DeliveryError) -> [KommoEntity] {
        let response = try await call(.GET, "/api/v4/contacts?query=\(SinkHTTP.formEncode(query))", body: nil)
        return KommoJSON.embedded(response.body, "contacts").compactMap(KommoEntity.init)
    }

    /// `POST /api/v4/leads/complex` with one lead (and its contact); returns the lead id.
    func createLead(_ lead: KommoBody) async throws(DeliveryError) -> Int {
        let response = try await call(.POST, "/api/v4/leads/complex", body: [lead.object])
        guard let created = (KommoJSON.object(response.body) as? [[String: Any]])?.first, let id = KommoJSON.int(created["id"]) else {
            throw .permanent("Kommo answered leads/complex without a lead id")
        }
        return id
    }

    /// `PATCH /api/v4/leads` for one lead.
    func updateLead(_ patch: KommoBody) async throws(DeliveryError) {
        _ = try await call(.PATCH, "/api/v4/leads", body: [patch.object])
    }

    /// `POST /api/v4/leads/notes`: a common note on the lead.
    func addNote(lead: Int, text: String) async throws(DeliveryError) {
        _ = try await call(.POST, "/api/v4/leads/notes", body: [["entity_id": lead, "note_type": "common", "params": ["text": text]]])
    }

    private func call(_ method: HTTPMethod, _ path: String, body: Any?) async throws(DeliveryError) -> SinkHTTPResponse {
        var data: Data?
        if let body {
            do {
                data = try KommoJSON.encode(body)
            } catch {
                throw .permanent("Kommo: cannot encode the request: \(error)")
            }
        }
        let response = try await SinkHTTP.send(client, method: method, url: baseURL + path, bearer: token,
                                               contentType: body == nil ? nil : "application/json", body: data, timeout: timeout,
                                               what: "Kommo \(method) \(path.split(separator: "?")[0])")
        if let failure = DeliveryError.classify(httpStatus: response.status, destination: "Kommo \(method) \(path.split(separator: "?")[0])") {
            let problem = KommoJSON.object(response.body) as? [String: Any]
            let detail = (problem?["detail"] as? String) ?? (problem?["title"] as? String) ?? String(decoding: response.body.prefix(200), as: UTF8.self)
            throw DeliveryError(failure.kind, detail.isEmpty ? failure.message : "\(failure.message): \(detail)")
        }
        return response
    }
}
