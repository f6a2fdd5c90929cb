public import ArriwaCore
public import Foundation

/// An Evolution API send (FACTS.md §4): `POST {server}/message/sendText/{instance}` with the
/// `apikey` header and `{number, text, delay?, linkPreview}`. Pure.
///
/// Evolution (Baileys) has no templates and no dependable interactive messages: buttons and lists
/// are sent as text with their choices listed, and a template (only sent outside the 24-hour
/// window, which does not apply to Baileys) is refused.
public struct EvolutionRequest: Sendable, Hashable, Encodable {
    public var number: String
    public var text: String
    public var delay: Int?
    public var linkPreview: Bool

    /// - Parameter delay: milliseconds Evolution shows "typing…" before sending.
    public init(content: MessageContent, number: String, delay: Int? = nil) throws(SendFailure) {
        self.number = number
        self.delay = delay
        linkPreview = false
        switch content {
        case .text(let body):
            text = body
        case .buttons(let body, let buttons, let header, let footer):
            text = Self.compose(header: header, body: body, choices: buttons.map(\.title), footer: footer)
        case .list(let body, _, let sections, let header, let footer):
            text = Self.compose(header: header, body: body,
                                choices: sections.flatMap { $0.rows.map { row in row.description.map { "\(row.title) — \($0)" } ?? row.title } },
                                footer: footer)
        case .template(let template):
            throw .rejected(code: nil, detail: "Evolution API cannot send WhatsApp templates (template \(template.name))")
        }
        try WhatsAppLimits.check(text, max: WhatsAppLimits.textBody, field: "text", required: true)
    }

    static func compose(header: String?, body: String, choices: [String], footer: String?) -> String {
        var parts: [String] = []
        if let header, !header.isEmpty { parts.append("*\(header)*") }
        parts.append(body)
        parts.append(choices.enumerated().map { "\($0.offset + 1). \($0.element)" }.joined(separator: "\n"))
        if let footer, !footer.isEmpty { parts.append("_\(footer)_") }
        return parts.joined(separator: "\n\n")
    }

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// `{base}/message/sendText/{instance}`.
    public static func url(_ settings: ProviderSettings) -> String {
        let instance = settings.sender.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? settings.sender
        return "\(settings.baseURL)/message/sendText/\(instance)"
    }
}
