import ArriwaCore

/// The Baileys message object of an Evolution webhook → kind, text, reply and media fields, and
/// the `externalAdReply` block → the referral's flat fields under Meta's names.
enum EvolutionContent {
    static func read(_ message: WebhookJSON?, messageType: String?, into inbound: inout InboundMessage) {
        guard let message, case .object = message else {
            inbound.mediaType = messageType.map { String($0.prefix(64)) }
            return
        }
        if let text = message["conversation"]?.string ?? message["extendedTextMessage"]?["text"]?.string {
            inbound.kind = .text
            inbound.text = text
            return
        }
        if let reply = message["buttonsResponseMessage"] {
            setReply(.button, id: reply["selectedButtonId"], title: reply["selectedDisplayText"], into: &inbound)
            return
        }
        if let reply = message["listResponseMessage"] {
            setReply(.list, id: reply["singleSelectReply"]?["selectedRowId"], title: reply["title"], into: &inbound)
            return
        }
        if let reply = message["templateButtonReplyMessage"] {
            setReply(.templateReply, id: reply["selectedId"], title: reply["selectedDisplayText"], into: &inbound)
            return
        }
        for (name, type) in [("imageMessage", "image"), ("audioMessage", "audio"), ("videoMessage", "video"),
                             ("documentMessage", "document"), ("stickerMessage", "sticker")] {
            guard let media = message[name], case .object = media else { continue }
            inbound.kind = .media
            inbound.mediaType = type
            inbound.caption = InboundFields.nonEmpty(media["caption"]?.string)
            return
        }
        inbound.mediaType = messageType.map { String($0.prefix(64)) }
    }

    static func setReply(_ kind: InboundMessage.Kind, id: WebhookJSON?, title: WebhookJSON?, into inbound: inout InboundMessage) {
        inbound.replyID = InboundFields.nonEmpty(id?.scalarText)
        inbound.replyTitle = InboundFields.nonEmpty(title?.string)
        inbound.kind = inbound.replyID != nil || inbound.replyTitle != nil ? kind : .other
    }

    /// Baileys' camelCase ad fields → the names the engine reads from a Cloud API referral.
    static let metaNames = [
        "ctwaClid": "ctwa_clid", "sourceId": "source_id", "sourceUrl": "source_url", "sourceType": "source_type",
        "title": "headline", "body": "body", "thumbnailUrl": "thumbnail_url", "mediaUrl": "media_url",
        "greetingMessageBody": "welcome_message_text", "sourceApp": "source_app", "ref": "ref",
    ]

    /// Flat referral fields: the Meta-named ones, `media_type` as image/video, and the ad's
    /// conversion source from the surrounding contextInfo; the raw `externalAdReply` block as sent.
    static func referral(_ ad: WebhookJSON, context: WebhookJSON?, body: [UInt8]) -> (flat: [String: String]?, raw: String?) {
        guard case .object(let members, let range) = ad else { return (nil, nil) }
        var flat: [String: String] = [:]
        for (key, value) in members {
            guard let name = metaNames[key], let text = value.string, !text.isEmpty else { continue }
            flat[name] = text
        }
        switch members["mediaType"]?.int64 {
        case 1: flat["media_type"] = "image"
        case 2: flat["media_type"] = "video"
        default: break
        }
        for (key, name) in [("conversionSource", "conversion_source"), ("entryPointConversionSource", "entry_point_conversion_source"),
                            ("entryPointConversionApp", "entry_point_conversion_app")] {
            if let text = context?[key]?.string, !text.isEmpty { flat[name] = text }
        }
        let raw = range.upperBound <= body.count ? String(decoding: body[range], as: UTF8.self) : nil
        return (flat.isEmpty ? nil : flat, raw)
    }
}
