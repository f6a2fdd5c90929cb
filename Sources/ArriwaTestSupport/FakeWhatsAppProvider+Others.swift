import Foundation
import Hummingbird
import NIOCore

extension FakeWhatsAppProvider {
    /// Gupshup (form fields, `{status:"submitted", messageId}`) and Evolution (JSON, 201 with
    /// `key.id`) sends: recorded like Cloud API ones, with the `apikey` header checked and the
    /// injected failures applied (error codes become the provider's own refusal).
    func handleOtherSend(request: Request, path: String, body: Data) async -> Response {
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let evolution = path.hasPrefix("/message/")
        let to: String?
        let type: String?
        if evolution {
            let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
            to = object?["number"] as? String
            type = "text"
        } else {
            var components = URLComponents()
            components.percentEncodedQuery = String(decoding: body, as: UTF8.self)
            let fields = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
            to = fields["destination"]
            let message = fields["message"].flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } as? [String: Any]
            type = path.hasSuffix("/template/msg") ? "template" : message?["type"] as? String
        }
        let index = await log.receive(Received(path: path, headers: headers, body: body, to: to, type: type))
        guard headers["apikey"] == configuration.accessToken else {
            return Self.json(status: 401, evolution ? ["status": 401, "error": "Unauthorized"] : ["status": "error", "message": "Authentication Failed"])
        }
        guard let to, !to.isEmpty else {
            return Self.json(status: 400, evolution ? ["status": 400, "error": "number is required"] : ["status": "error", "message": "Invalid Destination"])
        }
        switch await log.nextFailure(for: to) {
        case .error(let code, let status)?:
            return Self.json(status: status, ["status": "error", "message": "(#\(code)) \(Self.title(code))"])
        case .serverError(let status)?:
            return Response(status: .init(code: status), body: ResponseBody(byteBuffer: .init(string: "upstream error")))
        case .timeout?:
            try? await Task.sleep(for: configuration.holdFor)
            return Response(status: .gatewayTimeout)
        case .failedStatus?, nil:
            break
        }
        let id = evolution ? String((await log.nextWamid()).suffix(20)) : UUID().uuidString.lowercased()
        await log.setWamid(id, at: index)
        if evolution {
            return Self.json(status: 201, ["key": ["remoteJid": "\(to)@s.whatsapp.net", "fromMe": true, "id": id], "status": "PENDING",
                                           "messageType": "conversation"])
        }
        return Self.json(status: 202, ["status": "submitted", "messageId": id])
    }
}
