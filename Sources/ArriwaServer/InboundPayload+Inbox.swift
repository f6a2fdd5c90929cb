public import ArriwaCore
public import ArriwaStore
import Foundation

extension InboundPayload.Message {
    /// The inbox entry for this message: the lane is the phone's hash (the raw phone goes no further).
    public func inboxItem(tenant: String, index: Int, now: Int64) throws(InboundError) -> InboxItem {
        let field = "messages[\(index)]"
        guard !id.trimmingCharacters(in: .whitespaces).isEmpty else { throw InboundError(field: "\(field).id", "is empty") }
        guard let phoneHash = Phone.hash(from) else {
            throw InboundError(field: "\(field).from", "is not a phone number (E.164, e.g. +79991234567)")
        }
        let kindText = type ?? "text"
        guard let kind = InboundMessage.Kind(rawValue: kindText) else {
            throw InboundError(field: "\(field).type", "'\(kindText)' is not one of text, button, list, template_reply, media, other")
        }
        let replyID = reply?.id.flatMap { $0.isEmpty ? nil : $0 }
        let replyTitle = reply?.title.flatMap { $0.isEmpty ? nil : $0 }
        switch kind {
        case .button, .list, .templateReply:
            guard replyID != nil || replyTitle != nil else {
                throw InboundError(field: "\(field).reply", "is required for type \(kindText) (id and/or title)")
            }
        case .text:
            guard text != nil || replyTitle != nil else { throw InboundError(field: "\(field).text", "is required for type text") }
        case .media, .other:
            break
        }
        var flat: [String: String]?
        var raw: String?
        if let referral, !referral.isEmpty {
            flat = referral.compactMapValues(\.text)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            raw = (try? encoder.encode(referral)).map { String(decoding: $0, as: UTF8.self) }
        }
        let contact = Contact(subscriberID: "", phoneHash: phoneHash, profileName: profileName, language: language)
        let message = InboundMessage(id: id, kind: kind, text: text ?? "", replyID: replyID, replyTitle: replyTitle,
                                     caption: caption, mediaType: mediaType, receivedAt: timestamp?.milliseconds ?? now,
                                     contact: contact, referral: flat, referralRaw: raw)
        return InboxItem(tenant: tenant, lane: phoneHash, dedupeKey: id, kind: .message, event: .inbound(message), receivedAt: now)
    }
}

extension InboundPayload.Status {
    /// The delivery status, validated (the lane is the message's, looked up by the caller).
    public func deliveryStatus(index: Int, now: Int64) throws(InboundError) -> DeliveryStatus {
        let field = "statuses[\(index)]"
        guard !id.trimmingCharacters(in: .whitespaces).isEmpty else { throw InboundError(field: "\(field).id", "is empty") }
        guard let state = DeliveryStatus.State(rawValue: status) else {
            throw InboundError(field: "\(field).status", "'\(status)' is not one of sent, delivered, read, failed")
        }
        return DeliveryStatus(messageID: id, state: state, at: timestamp?.milliseconds ?? now, errorCode: errorCode,
                              errorTitle: errorTitle)
    }
}
