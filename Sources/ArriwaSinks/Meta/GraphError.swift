public import ArriwaRuntime
public import Foundation

/// Meta's Graph API error object: `{"error": {message, type, code, error_subcode, is_transient,
/// error_user_title, error_user_msg, fbtrace_id}}`.
public struct GraphError: Sendable, Hashable, Decodable {
    struct Envelope: Decodable {
        var error: GraphError
    }

    public var message: String?
    public var type: String?
    public var code: Int?
    public var errorSubcode: Int?
    public var isTransient: Bool?
    public var errorUserTitle: String?
    public var errorUserMsg: String?
    public var fbtraceID: String?

    enum CodingKeys: String, CodingKey {
        case message, type, code
        case errorSubcode = "error_subcode"
        case isTransient = "is_transient"
        case errorUserTitle = "error_user_title"
        case errorUserMsg = "error_user_msg"
        case fbtraceID = "fbtrace_id"
    }

    /// Rate limits and temporary errors Meta answers (sometimes with HTTP 400): app / account /
    /// page / custom-audience call limits, throughput, temporary unavailability.
    public static let rateLimitCodes: Set<Int> = [1, 2, 4, 17, 32, 341, 613, 80003, 80004, 130429]

    /// Parses the error object out of a response body, if there is one.
    public static func parse(_ body: Data) -> GraphError? {
        try? JSONDecoder().decode(Envelope.self, from: body).error
    }

    /// `(#100/2804066) Messaging Event Invalid Event Type: The event name is … [fbtrace …]`.
    public var summary: String {
        var text = "(#\(code.map(String.init) ?? "?")\(errorSubcode.map { "/\($0)" } ?? ""))"
        if let errorUserTitle { text += " \(errorUserTitle):" }
        text += " \(errorUserMsg ?? message ?? "no message")"
        if let fbtraceID { text += " [fbtrace \(fbtraceID)]" }
        return text
    }

    /// How a failed Graph call is treated: transient for 408, 429, 5xx, Meta's rate-limit codes and
    /// `is_transient`; permanent otherwise. Nil for a 2xx.
    public static func deliveryError(status: Int, body: Data, what: String) -> DeliveryError? {
        guard !(200..<300).contains(status) else { return nil }
        let error = parse(body)
        let detail = error?.summary ?? String(decoding: body.prefix(200), as: UTF8.self)
        let message = "\(what) answered HTTP \(status)\(detail.isEmpty ? "" : ": \(detail)")"
        let rateLimited = error?.code.map { rateLimitCodes.contains($0) } ?? false
        if status == 408 || status == 429 || status >= 500 || rateLimited || error?.isTransient == true {
            return .transient(message)
        }
        return .permanent(message)
    }
}
