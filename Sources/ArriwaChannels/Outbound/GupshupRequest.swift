public import ArriwaCore
public import Foundation

/// A Gupshup send (FACTS.md §3): form-urlencoded fields to `POST /wa/api/v1/msg` (text, quick
/// replies, lists: `message=<JSON>`) or `POST /wa/api/v1/template/msg` (`template=<JSON>`), with
/// the `apikey` header. Pure.
///
/// The quick-reply and list `message` JSON follows Gupshup's reference pages, which FACTS.md marks
/// unverified; text and template are verified.
public struct GupshupRequest: Sendable, Hashable {
    /// `msg` or `template/msg`.
    public var path: String
    /// Form fields in a stable order.
    public var fields: [(String, String)]

    public static func == (lhs: GupshupRequest, rhs: GupshupRequest) -> Bool {
        lhs.path == rhs.path && lhs.fields.map(\.0) == rhs.fields.map(\.0) && lhs.fields.map(\.1) == rhs.fields.map(\.1)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(path)
        for (name, value) in fields {
            hasher.combine(name)
            hasher.combine(value)
        }
    }

    /// - Parameters:
    ///   - source: the business number (tenant.yaml `provider.phone_number_id` for Gupshup).
    ///   - appName: `src.name`.
    ///   - quickReplyPayloads: for a template, its quick-reply buttons' postback texts in order.
    public init(content: MessageContent, source: String, destination: String, appName: String,
                quickReplyPayloads: [String] = []) throws(SendFailure) {
        var fields: [(String, String)] = [("channel", "whatsapp"), ("source", source), ("destination", destination),
                                          ("src.name", appName)]
        switch content {
        case .text(let body):
            try WhatsAppLimits.check(body, max: WhatsAppLimits.textBody, field: "text.body", required: true)
            path = "wa/api/v1/msg"
            fields.append(("message", Self.json(["type": "text", "text": body])))
            fields.append(("disablePreview", "true"))
        case .buttons(let body, let buttons, let header, let footer):
            try WhatsAppLimits.checkButtons(body: body, buttons: buttons, header: header, footer: footer)
            path = "wa/api/v1/msg"
            var inner: [String: Any] = ["type": "text", "text": body]
            if let header { inner["header"] = header }
            if let footer { inner["caption"] = footer }
            let options = buttons.map { ["type": "text", "title": $0.title, "postbackText": $0.id] }
            fields.append(("message", Self.json(["type": "quick_reply", "content": inner, "options": options])))
        case .list(let body, let button, let sections, let header, let footer):
            try WhatsAppLimits.checkList(body: body, button: button, sections: sections, header: header, footer: footer)
            path = "wa/api/v1/msg"
            let items: [[String: Any]] = sections.map { section in
                var item: [String: Any] = ["options": section.rows.map { row -> [String: Any] in
                    var option: [String: Any] = ["type": "text", "title": row.title, "postbackText": row.id]
                    if let description = row.description { option["description"] = description }
                    return option
                }]
                if let title = section.title { item["title"] = title }
                return item
            }
            var message: [String: Any] = ["type": "list", "body": body, "globalButtons": [["type": "text", "title": button]],
                                          "items": items]
            if let header { message["title"] = header }
            if let footer { message["footer"] = footer }
            fields.append(("message", Self.json(message)))
        case .template(let template):
            try WhatsAppLimits.check(template.name, max: 512, field: "template.name", required: true)
            path = "wa/api/v1/template/msg"
            fields.append(("template", Self.json(["id": template.name, "params": template.params])))
            if !quickReplyPayloads.isEmpty {
                let postbacks = quickReplyPayloads.enumerated().map { ["index": $0.offset, "text": $0.element] as [String: Any] }
                fields.append(("postbackTexts", Self.json(postbacks)))
            }
        }
        self.fields = fields
    }

    /// `application/x-www-form-urlencoded` body.
    public func encodedBody() -> Data {
        Data(fields.map { "\(Self.escape($0.0))=\(Self.escape($0.1))" }.joined(separator: "&").utf8)
    }

    /// `{base}/{path}`.
    public func url(_ settings: ProviderSettings) -> String {
        "\(settings.baseURL)/\(path)"
    }

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    /// RFC 3986 unreserved characters (ASCII only: `alphanumerics` would let accented letters through).
    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func json(_ object: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return "{}"
        }
        return String(decoding: data, as: UTF8.self)
    }
}
