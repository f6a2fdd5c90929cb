public import ArriwaCore
public import Foundation

/// The Cloud API send body (`POST /{version}/{phone-number-id}/messages`) for one message: text,
/// reply buttons, list or template. Pure; limits from FACTS.md §2 are checked before anything is
/// sent, each error naming the part at fault.
public struct CloudAPIRequest: Sendable, Hashable, Encodable {
    struct Text: Sendable, Hashable, Encodable {
        var previewURL: Bool
        var body: String
        enum CodingKeys: String, CodingKey {
            case previewURL = "preview_url"
            case body
        }
    }

    struct Context: Sendable, Hashable, Encodable {
        var messageID: String
        enum CodingKeys: String, CodingKey { case messageID = "message_id" }
    }

    struct TextObject: Sendable, Hashable, Encodable {
        var text: String
    }

    struct Header: Sendable, Hashable, Encodable {
        var type = "text"
        var text: String
    }

    struct Reply: Sendable, Hashable, Encodable {
        var id: String
        var title: String
    }

    struct ReplyButton: Sendable, Hashable, Encodable {
        var type = "reply"
        var reply: Reply
    }

    struct Row: Sendable, Hashable, Encodable {
        var id: String
        var title: String
        var description: String?
    }

    struct Section: Sendable, Hashable, Encodable {
        var title: String?
        var rows: [Row]
    }

    struct Action: Sendable, Hashable, Encodable {
        var buttons: [ReplyButton]?
        var button: String?
        var sections: [Section]?
    }

    struct Interactive: Sendable, Hashable, Encodable {
        var type: String
        var header: Header?
        var body: TextObject
        var footer: TextObject?
        var action: Action
    }

    struct Language: Sendable, Hashable, Encodable {
        var code: String
    }

    struct Parameter: Sendable, Hashable, Encodable {
        var type: String
        var text: String?
        var payload: String?
    }

    struct Component: Sendable, Hashable, Encodable {
        var type: String
        var subType: String?
        var index: String?
        var parameters: [Parameter]
        enum CodingKeys: String, CodingKey {
            case type, index, parameters
            case subType = "sub_type"
        }
    }

    struct Template: Sendable, Hashable, Encodable {
        var name: String
        var language: Language
        var components: [Component]?
    }

    var messagingProduct = "whatsapp"
    var recipientType = "individual"
    var to: String?
    /// A business-scoped user id (users who hide their number behind a username) goes here, not in `to`.
    var recipient: String?
    var type: String
    var context: Context?
    var text: Text?
    var interactive: Interactive?
    var template: Template?

    enum CodingKeys: String, CodingKey {
        case to, recipient, type, context, text, interactive, template
        case messagingProduct = "messaging_product"
        case recipientType = "recipient_type"
    }

    /// - Parameters:
    ///   - to: the recipient: wa_id digits, or a business-scoped user id when `bsuid` is true (sent
    ///     as `recipient`, which Meta added for BSUIDs; `to` stays for phone numbers).
    ///   - replyTo: a wamid to quote (`context.message_id`).
    ///   - quickReplyPayloads: for a template, the payloads of its quick-reply buttons in order.
    public init(content: MessageContent, to: String, bsuid: Bool = false, replyTo: String? = nil,
                quickReplyPayloads: [String] = []) throws(SendFailure) {
        if bsuid {
            recipient = to
        } else {
            self.to = to
        }
        context = replyTo.map { Context(messageID: $0) }
        switch content {
        case .text(let body):
            try WhatsAppLimits.check(body, max: WhatsAppLimits.textBody, field: "text.body", required: true)
            type = "text"
            text = Text(previewURL: false, body: body)
        case .buttons(let body, let buttons, let header, let footer):
            type = "interactive"
            try WhatsAppLimits.checkButtons(body: body, buttons: buttons, header: header, footer: footer)
            interactive = Interactive(type: "button", header: header.map { Header(text: $0) }, body: TextObject(text: body),
                                      footer: footer.map { TextObject(text: $0) },
                                      action: Action(buttons: buttons.map { ReplyButton(reply: Reply(id: $0.id, title: $0.title)) }))
        case .list(let body, let button, let sections, let header, let footer):
            type = "interactive"
            try WhatsAppLimits.checkList(body: body, button: button, sections: sections, header: header, footer: footer)
            let mapped = sections.map { section in
                Section(title: section.title, rows: section.rows.map { Row(id: $0.id, title: $0.title, description: $0.description) })
            }
            interactive = Interactive(type: "list", header: header.map { Header(text: $0) }, body: TextObject(text: body),
                                      footer: footer.map { TextObject(text: $0) }, action: Action(button: button, sections: mapped))
        case .template(let message):
            type = "template"
            try WhatsAppLimits.check(message.name, max: 512, field: "template.name", required: true)
            try WhatsAppLimits.check(message.language, max: 15, field: "template.language", required: true)
            var components: [Component] = []
            if !message.params.isEmpty {
                components.append(Component(type: "body", parameters: message.params.map { Parameter(type: "text", text: $0) }))
            }
            for (index, payload) in quickReplyPayloads.enumerated() {
                components.append(Component(type: "button", subType: "quick_reply", index: String(index),
                                            parameters: [Parameter(type: "payload", payload: payload)]))
            }
            template = Template(name: message.name, language: Language(code: message.language),
                                components: components.isEmpty ? nil : components)
        }
    }

    /// The JSON body.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// `{base}/{version}/{phone-number-id}/messages`.
    public static func url(_ settings: ProviderSettings) -> String {
        "\(settings.baseURL)/\(settings.apiVersion)/\(settings.sender)/messages"
    }
}
