import ArriwaCore

/// Evolution API (Baileys) webhooks: `{event: "messages.upsert", instance, data: {key, pushName,
/// message, contextInfo, messageType, messageTimestamp}}`. LID-addressed senders
/// (`key.addressingMode: "lid"`) are reached by the phone in `key.remoteJidAlt` when present.
/// The CTWA block is `data.contextInfo.externalAdReply` (else the message's own contextInfo).
enum EvolutionWebhookParser {
    static func parse(_ root: WebhookJSON, body: [UInt8], now: Int64, into parse: inout WebhookParse) {
        guard let event = root["event"]?.string else {
            parse.ignored.append("unknown shape: no event")
            return
        }
        let normalized = event.lowercased().replacingUnderscores
        guard normalized == "messages.upsert" else {
            parse.ignored.append("evolution \(event.prefix(32)) event")
            return
        }
        let items: [(WebhookJSON, String)]
        switch root["data"] {
        case .some(.array(let list)): items = list.enumerated().map { ($1, "data[\($0)]") }
        case .some(let data): items = [(data, "data")]
        case .none:
            parse.rejected.append(WebhookFieldError(field: "data", "is missing"))
            return
        }
        for (data, field) in items {
            do throws(WebhookFieldError) {
                switch try message(data, field: field, body: body, now: now) {
                case .message(let lead): parse.messages.append(lead)
                case .skipped(let reason): parse.ignored.append("\(field): \(reason)")
                }
            } catch {
                parse.rejected.append(error)
            }
        }
    }

    enum Result {
        case message(LeadMessage)
        case skipped(String)
    }

    static func message(_ data: WebhookJSON, field: String, body: [UInt8], now: Int64) throws(WebhookFieldError) -> Result {
        guard case .object = data else { throw WebhookFieldError(field: field, "is not an object") }
        guard let key = data["key"], case .object = key else { throw WebhookFieldError(field: "\(field).key", "is missing") }
        if key["fromMe"]?.bool == true { return .skipped("sent by the business itself (fromMe)") }
        let id = try InboundFields.messageID(key["id"], field: "\(field).key.id")
        guard let remote = key["remoteJid"]?.string, !remote.isEmpty else {
            throw WebhookFieldError(field: "\(field).key.remoteJid", "is missing")
        }
        if remote.hasSuffix("@g.us") || remote.hasSuffix("@broadcast") || remote.hasSuffix("@newsletter") {
            return .skipped("not a one-to-one chat")
        }
        guard let address = sender(remote: remote, key: key) else {
            throw WebhookFieldError(field: "\(field).key.remoteJid", "is not a phone JID (nor is key.remoteJidAlt)")
        }
        var inbound = InboundMessage(id: id, kind: .other, text: "", receivedAt: InboundFields.milliseconds(data["messageTimestamp"], now: now),
                                     contact: Contact(subscriberID: "", phoneHash: address.lane, profileName: data["pushName"]?.string))
        let message = data["message"]
        EvolutionContent.read(message, messageType: data["messageType"]?.string, into: &inbound)
        if let ad = adReply(data: data, message: message) {
            (inbound.referral, inbound.referralRaw) = EvolutionContent.referral(ad, context: data["contextInfo"], body: body)
        }
        return .message(LeadMessage(message: inbound, address: address))
    }

    /// The phone of a `…@s.whatsapp.net` JID; for a `…@lid` JID the phone in `remoteJidAlt`
    /// (or `senderPn`), else the LID itself as a provider-specific address.
    static func sender(remote: String, key: WebhookJSON) -> LeadAddress? {
        let isLID = remote.hasSuffix("@lid") || key["addressingMode"]?.string == "lid"
        if !isLID { return phone(ofJID: remote) }
        for alternative in ["remoteJidAlt", "senderPn", "participantPn"] {
            if let jid = key[alternative]?.string, !jid.hasSuffix("@lid"), let phone = phone(ofJID: jid) { return phone }
        }
        return LeadAddress.other(remote)
    }

    /// `15550100456@s.whatsapp.net` or `15550100456:12@s.whatsapp.net` → the phone.
    static func phone(ofJID jid: String) -> LeadAddress? {
        let user = jid.split(separator: "@", maxSplits: 1).first.map(String.init) ?? jid
        let number = user.split(separator: ":", maxSplits: 1).first.map(String.init) ?? user
        guard !number.isEmpty, number.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return LeadAddress.phone(number)
    }

    /// `data.contextInfo.externalAdReply`, else the one inside the message's own contextInfo.
    static func adReply(data: WebhookJSON, message: WebhookJSON?) -> WebhookJSON? {
        if let ad = data["contextInfo"]?["externalAdReply"], case .object = ad { return ad }
        for (_, inner) in message?.objectMembers ?? [:] {
            if let ad = inner["contextInfo"]?["externalAdReply"], case .object = ad { return ad }
        }
        return nil
    }
}

extension String {
    var replacingUnderscores: String { String(map { $0 == "_" ? "." : $0 }) }
}
