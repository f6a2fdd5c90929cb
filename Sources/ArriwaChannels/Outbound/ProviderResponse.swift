public import Foundation

/// Reads the providers' answers to a send: the message id on success, a `SendFailure` otherwise.
public enum ProviderResponse {
    /// Cloud API: `{messages:[{id}]}` on 2xx; `{error:{code, message, error_data:{details}}}` otherwise.
    public static func cloudAPI(status: Int, body: Data) throws(SendFailure) -> String {
        let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        if (200..<300).contains(status) {
            guard let messages = object?["messages"] as? [[String: Any]], let id = messages.first?["id"] as? String, !id.isEmpty else {
                throw .technical("Cloud API answered HTTP \(status) without messages[0].id")
            }
            return id
        }
        if let error = object?["error"] as? [String: Any], let code = (error["code"] as? NSNumber)?.intValue {
            let details = (error["error_data"] as? [String: Any])?["details"] as? String
            let detail = details ?? (error["message"] as? String) ?? "HTTP \(status)"
            if status >= 500, case .rejected = SendFailure.meta(code: code, detail: detail) {
                throw .technical("Cloud API HTTP \(status), error \(code): \(detail)")
            }
            throw SendFailure.meta(code: code, detail: detail)
        }
        throw SendFailure.http(status: status, provider: "Cloud API", body: String(decoding: body.prefix(200), as: UTF8.self))
    }

    /// Gupshup: `{status:"submitted", messageId}`; `{status:"error", message}` otherwise.
    public static func gupshup(status: Int, body: Data) throws(SendFailure) -> String {
        let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        if (200..<300).contains(status), object?["status"] as? String == "submitted",
           let id = object?["messageId"] as? String, !id.isEmpty {
            return id
        }
        if status >= 500 || status == 408 || status == 429 || status == 401 || status == 403 || object == nil {
            throw SendFailure.http(status: status, provider: "Gupshup", body: String(decoding: body.prefix(200), as: UTF8.self))
        }
        throw .rejected(code: nil, detail: "Gupshup HTTP \(status): \(object?["message"] as? String ?? "no messageId")")
    }

    /// Evolution API: 201 with the prepared message (`key.id`); a 400 whose `response.message`
    /// lists the number with `exists: false` (not on WhatsApp) is undeliverable, as Meta's 131026.
    public static func evolution(status: Int, body: Data) throws(SendFailure) -> String {
        let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        if (200..<300).contains(status) {
            guard let key = object?["key"] as? [String: Any], let id = key["id"] as? String, !id.isEmpty else {
                throw .technical("Evolution API answered HTTP \(status) without key.id")
            }
            return id
        }
        let text = String(decoding: body.prefix(200), as: UTF8.self)
        if status == 400, let response = object?["response"] as? [String: Any], let entries = response["message"] as? [[String: Any]],
           entries.contains(where: { $0["exists"] as? Bool == false }) {
            throw .undeliverable(code: 131026, detail: "Evolution API: the number is not on WhatsApp")
        }
        throw SendFailure.http(status: status, provider: "Evolution API", body: text)
    }
}
