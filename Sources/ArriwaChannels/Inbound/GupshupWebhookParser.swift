import ArriwaCore

/// Gupshup callbacks: the v2 envelope `{app, timestamp(ms), version, type, payload}` with
/// `type: "message"` (a lead's message) or `"message-event"` (a delivery event), and the v3
/// "passthrough" format, which is Meta's Cloud API webhook (read by `CloudWebhookParser`).
enum GupshupWebhookParser {
    static func parse(_ root: WebhookJSON, body: [UInt8], now: Int64, into parse: inout WebhookParse) {
        if root["entry"] != nil {
            CloudWebhookParser.parse(root, body: body, now: now, into: &parse)
            return
        }
        guard let type = root["type"]?.string else {
            parse.ignored.append("unknown shape: no type and no entry[]")
            return
        }
        guard let payload = root["payload"], case .object = payload else {
            if type == "message" || type == "message-event" {
                parse.rejected.append(WebhookFieldError(field: "payload", "is missing or not an object"))
            } else {
                parse.ignored.append("gupshup \(type.prefix(32)) event")
            }
            return
        }
        let envelopeTime = InboundFields.milliseconds(root["timestamp"], now: now)
        switch type {
        case "message":
            do throws(WebhookFieldError) {
                parse.messages.append(try message(payload, at: envelopeTime))
            } catch {
                parse.rejected.append(error)
            }
        case "message-event":
            do throws(WebhookFieldError) {
                switch try event(payload, at: envelopeTime) {
                case .status(let status): parse.statuses.append(status)
                case .skipped(let reason): parse.ignored.append("payload: \(reason)")
                }
            } catch {
                parse.rejected.append(error)
            }
        default:
            parse.ignored.append("gupshup \(type.prefix(32)) event")
        }
    }

    static func message(_ payload: WebhookJSON, at time: Int64) throws(WebhookFieldError) -> LeadMessage {
        let id = try InboundFields.messageID(payload["id"], field: "payload.id")
        let sender = payload["sender"]
        guard let address = (sender?["phone"]?.scalarText).flatMap(LeadAddress.phone) ?? (payload["source"]?.scalarText).flatMap(LeadAddress.phone)
        else {
            throw WebhookFieldError(field: "payload.sender.phone", "is not a phone number (nor is payload.source)")
        }
        var inbound = InboundMessage(id: id, kind: .other, text: "", receivedAt: time,
                                     contact: Contact(subscriberID: "", phoneHash: address.lane, profileName: sender?["name"]?.string))
        content(type: payload["type"]?.string ?? "", inner: payload["payload"], into: &inbound)
        return LeadMessage(message: inbound, address: address)
    }

    /// Kind and fields by the inner `type`. Both `button_reply` and `quick_reply` are reply buttons;
    /// a `quick_reply` whose inner payload says `type: "button"` is a template's quick reply.
    static func content(type: String, inner: WebhookJSON?, into inbound: inout InboundMessage) {
        switch type {
        case "text":
            guard let text = inner?["text"]?.string else { inbound.mediaType = "text"; return }
            inbound.kind = .text
            inbound.text = text
        case "button_reply", "quick_reply":
            if inner?["type"]?.string == "button" {
                inbound.kind = .templateReply
                inbound.replyTitle = InboundFields.nonEmpty(inner?["text"]?.string)
                inbound.replyID = InboundFields.nonEmpty(inner?["postbackText"]?.scalarText) ?? inbound.replyTitle
            } else {
                inbound.kind = .button
                inbound.replyID = InboundFields.nonEmpty(inner?["id"]?.scalarText) ?? InboundFields.nonEmpty(inner?["postbackText"]?.scalarText)
                inbound.replyTitle = InboundFields.nonEmpty(inner?["title"]?.string) ?? InboundFields.nonEmpty(inner?["text"]?.string)
            }
        case "list_reply":
            inbound.kind = .list
            inbound.replyID = InboundFields.nonEmpty(inner?["id"]?.scalarText) ?? InboundFields.nonEmpty(inner?["postbackText"]?.scalarText)
            inbound.replyTitle = InboundFields.nonEmpty(inner?["title"]?.string)
        case "image", "audio", "video", "file", "document", "sticker":
            inbound.kind = .media
            inbound.mediaType = type == "file" ? "document" : type
            inbound.caption = InboundFields.nonEmpty(inner?["caption"]?.string)
            return
        default:
            inbound.mediaType = type.isEmpty ? nil : String(type.prefix(64))
            return
        }
        if inbound.kind != .text, inbound.replyID == nil, inbound.replyTitle == nil {
            inbound.kind = .other
            inbound.mediaType = type
        }
    }

    static func event(_ payload: WebhookJSON, at time: Int64) throws(WebhookFieldError) -> CloudWebhookParser.StatusResult {
        guard let type = payload["type"]?.string else { throw WebhookFieldError(field: "payload.type", "is missing") }
        guard let state = DeliveryStatus.State(rawValue: type) else {
            return .skipped("event '\(type.prefix(32))' is not a delivery state (sent, delivered, read, failed)")
        }
        let id = try InboundFields.messageID(payload["id"], field: "payload.id")
        // sent/delivered/read: `id` is WhatsApp's and `gsId` Gupshup's (what the send returned);
        // failed: `id` is Gupshup's.
        var ids = [id]
        if let gupshupID = InboundFields.nonEmpty(payload["gsId"]?.scalarText) {
            if state == .failed { ids.append(gupshupID) } else { ids.insert(gupshupID, at: 0) }
        }
        let inner = payload["payload"]
        let at = (inner?["ts"]).map { InboundFields.milliseconds($0, now: time) } ?? time
        let code = inner?["code"]?.int64.flatMap { Int(exactly: $0) }
        return .status(ProviderStatus(providerMessageIDs: ids, state: state, at: at, errorCode: code,
                                      errorTitle: inner?["reason"]?.string))
    }
}
