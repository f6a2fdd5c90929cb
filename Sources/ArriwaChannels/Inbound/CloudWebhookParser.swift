import ArriwaCore

/// Meta's Cloud API webhook (`entry[].changes[].value`), also Gupshup's v3 passthrough: messages
/// (text, interactive button/list replies, template buttons, media with captions, anything else as
/// `.other`), statuses, and the click-to-WhatsApp `referral`. Lenient by design: a broken item is
/// rejected with its path, its siblings still count, and unknown fields are ignored.
enum CloudWebhookParser {
    static func parse(_ root: WebhookJSON, body: [UInt8], now: Int64, into parse: inout WebhookParse) {
        guard let entries = root["entry"]?.array else {
            parse.ignored.append("unknown shape: no entry[] (object: \(root["object"]?.string ?? "absent"))")
            return
        }
        for (e, entry) in entries.enumerated() {
            guard let changes = entry["changes"]?.array else {
                parse.ignored.append("entry[\(e)]: no changes[]")
                continue
            }
            for (c, change) in changes.enumerated() {
                let path = "entry[\(e)].changes[\(c)].value"
                guard let value = change["value"], case .object = value else {
                    parse.ignored.append("\(path): absent or not an object")
                    continue
                }
                read(value, path: path, body: body, now: now, into: &parse)
            }
        }
    }

    /// One `value` block: its messages, statuses and errors.
    static func read(_ value: WebhookJSON, path: String, body: [UInt8], now: Int64, into parse: inout WebhookParse) {
        let contacts = value["contacts"]?.array ?? []
        let messages = value["messages"]?.array
        let statuses = value["statuses"]?.array
        for (index, message) in (messages ?? []).enumerated() {
            let field = "\(path).messages[\(index)]"
            do throws(WebhookFieldError) {
                if let lead = try self.message(message, index: index, contacts: contacts, field: field, body: body, now: now) {
                    parse.messages.append(lead)
                } else {
                    parse.ignored.append("\(field): sent by the business itself")
                }
            } catch {
                parse.rejected.append(error)
            }
        }
        for (index, status) in (statuses ?? []).enumerated() {
            let field = "\(path).statuses[\(index)]"
            do throws(WebhookFieldError) {
                switch try self.status(status, field: field, now: now) {
                case .status(let parsed): parse.statuses.append(parsed)
                case .skipped(let reason): parse.ignored.append("\(field): \(reason)")
                }
            } catch {
                parse.rejected.append(error)
            }
        }
        for (index, error) in (value["errors"]?.array ?? []).enumerated() {
            let code = error["code"]?.int64.map(String.init) ?? "?"
            parse.ignored.append("\(path).errors[\(index)]: provider error \(code) \(error["title"]?.string ?? "")")
        }
        if messages == nil, statuses == nil, value["errors"] == nil {
            parse.ignored.append("\(path): no messages, statuses or errors")
        }
    }

    // MARK: Messages

    /// The lead's message, or nil for the business's own echoes. Throws for a message that cannot
    /// be kept (no id, no sender).
    static func message(_ message: WebhookJSON, index: Int, contacts: [WebhookJSON], field: String, body: [UInt8],
                        now: Int64) throws(WebhookFieldError) -> LeadMessage? {
        guard case .object = message else { throw WebhookFieldError(field: field, "is not an object") }
        let id = try InboundFields.messageID(message["id"], field: "\(field).id")
        let from = message["from"]?.string
        let contact = matchingContact(contacts, from: from, index: index)
        guard let address = sender(from: from, userID: message["from_user_id"]?.string ?? contact?["user_id"]?.string) else {
            throw WebhookFieldError(field: "\(field).from", "is neither a phone number nor accompanied by a business-scoped user id")
        }
        let name = contact?["profile"]?["name"]?.string
        var inbound = InboundMessage(id: id, kind: .other, text: "", receivedAt: InboundFields.milliseconds(message["timestamp"], now: now),
                                     contact: Contact(subscriberID: "", phoneHash: address.lane, profileName: name))
        content(of: message, into: &inbound)
        if let referral = message["referral"] {
            (inbound.referral, inbound.referralRaw) = InboundFields.referral(referral, body: body)
        }
        return LeadMessage(message: inbound, address: address)
    }

    /// The phone in `from` (also `wa_id`), else the business-scoped user id.
    static func sender(from: String?, userID: String?) -> LeadAddress? {
        if let from, let phone = LeadAddress.phone(from) { return phone }
        if let userID, let bsuid = LeadAddress.bsuid(userID) { return bsuid }
        return nil
    }

    /// The `contacts[]` entry of the sender: by wa_id, else at the same index, else the only one.
    static func matchingContact(_ contacts: [WebhookJSON], from: String?, index: Int) -> WebhookJSON? {
        if let from, let match = contacts.first(where: { $0["wa_id"]?.string == from }) { return match }
        if contacts.indices.contains(index) { return contacts[index] }
        return contacts.count == 1 ? contacts[0] : nil
    }

    /// Kind, text, reply and media fields by `type`; unknown types stay `.other`.
    static func content(of message: WebhookJSON, into inbound: inout InboundMessage) {
        let type = message["type"]?.string ?? ""
        switch type {
        case "text":
            guard let body = message["text"]?["body"]?.string else { inbound.mediaType = "text"; return }
            inbound.kind = .text
            inbound.text = body
        case "interactive":
            let interactive = message["interactive"]
            let subtype = interactive?["type"]?.string
            for (name, kind) in [("button_reply", InboundMessage.Kind.button), ("list_reply", .list)] {
                guard let reply = interactive?[name], case .object = reply else { continue }
                guard subtype == nil || subtype == name else { continue }
                inbound.kind = kind
                inbound.replyID = InboundFields.nonEmpty(reply["id"]?.scalarText)
                inbound.replyTitle = InboundFields.nonEmpty(reply["title"]?.string)
                if inbound.replyID != nil || inbound.replyTitle != nil { return }
                inbound.kind = .other
            }
            inbound.mediaType = "interactive"
        case "button":
            let button = message["button"]
            inbound.replyID = InboundFields.nonEmpty(button?["payload"]?.scalarText)
            inbound.replyTitle = InboundFields.nonEmpty(button?["text"]?.string)
            inbound.kind = inbound.replyID != nil || inbound.replyTitle != nil ? .templateReply : .other
        case "image", "audio", "video", "document", "sticker":
            inbound.kind = .media
            inbound.mediaType = type
            inbound.caption = InboundFields.nonEmpty(message[type]?["caption"]?.string)
        default:
            // location, contacts, reaction, order, system, unsupported…: stored, classified as noise.
            inbound.mediaType = type.isEmpty ? nil : String(type.prefix(64))
        }
    }

    // MARK: Statuses

    enum StatusResult {
        case status(ProviderStatus)
        case skipped(String)
    }

    static func status(_ status: WebhookJSON, field: String, now: Int64) throws(WebhookFieldError) -> StatusResult {
        guard case .object = status else { throw WebhookFieldError(field: field, "is not an object") }
        let id = try InboundFields.messageID(status["id"], field: "\(field).id")
        guard let stateText = status["status"]?.string else { throw WebhookFieldError(field: "\(field).status", "is missing") }
        guard let state = DeliveryStatus.State(rawValue: stateText) else {
            return .skipped("status '\(stateText.prefix(32))' is not a delivery state (sent, delivered, read, failed)")
        }
        var ids = [id]
        if let gupshupID = InboundFields.nonEmpty(status["gs_id"]?.string) { ids.append(gupshupID) }
        let error = status["errors"]?.array?.first
        let code = error?["code"]?.int64 ?? status["code"]?.int64
        let title = error?["title"]?.string ?? error?["message"]?.string ?? status["reason"]?.string
        return .status(ProviderStatus(providerMessageIDs: ids, state: state, at: InboundFields.milliseconds(status["timestamp"], now: now),
                                      errorCode: code.flatMap { Int(exactly: $0) }, errorTitle: title))
    }
}
