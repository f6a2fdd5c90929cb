public import ArriwaStore
import ArriwaCore
import Crypto

/// How to reach a lead, and the lane key derived from it. The raw value never leaves this type
/// except to be sealed (`AddressSealer`) or sent to the provider; keys and logs see `lane` only.
///
/// - phone: the E.164 digits (Cloud `wa_id`/`from`, Gupshup `sender.phone`, Evolution's phone JID);
///   lane = `Phone.hash` (SHA-256 hex of the digits), the key the rest of the runtime uses.
/// - bsuid: Meta's business-scoped user id (`contacts[].user_id`), used when a user with a
///   username has no `wa_id`/phone in the webhook; lane = `bsuid-` + SHA-256 hex of `bsuid:<id>`.
/// - other: an Evolution LID JID without a phone alternative; lane = `lid-` + SHA-256 hex of `lid:<jid>`.
///
/// The prefixes keep a non-phone lane from passing for a phone hash (`Phone.isHash`): the lane
/// travels as the contact's `phoneHash`, and the sinks send a phone hash to Meta (`ph`,
/// PHONE_SHA256 audiences) only when it is one.
public struct LeadAddress: Sendable, Hashable, CustomStringConvertible {
    public var kind: ContactAddress.Kind
    /// The address in clear (a phone's digits, a BSUID, a JID). Never log it.
    public var value: String
    /// The lead's serialisation key: a hash, never the address.
    public var lane: String

    /// A phone address; nil when `raw` is not a phone number.
    public static func phone(_ raw: String) -> LeadAddress? {
        guard let digits = Phone.normalize(raw), let hash = Phone.hash(digits) else { return nil }
        return LeadAddress(kind: .phone, value: digits, lane: hash)
    }

    /// A business-scoped user id (e.g. `US.13491208655302741918`); nil when empty.
    public static func bsuid(_ raw: String) -> LeadAddress? {
        let trimmed = raw.trimmingWhitespace
        guard !trimmed.isEmpty, trimmed.utf8.count <= 256 else { return nil }
        return LeadAddress(kind: .bsuid, value: trimmed, lane: "bsuid-" + hashHex("bsuid:" + trimmed))
    }

    /// A provider-specific address (an Evolution `…@lid` JID); nil when empty.
    public static func other(_ raw: String) -> LeadAddress? {
        let trimmed = raw.trimmingWhitespace
        guard !trimmed.isEmpty, trimmed.utf8.count <= 256 else { return nil }
        return LeadAddress(kind: .other, value: trimmed, lane: "lid-" + hashHex("lid:" + trimmed))
    }

    /// Redacted: the kind and the lane, never the address.
    public var description: String { "\(kind.rawValue):\(lane)" }

    static func hashHex(_ text: String) -> String {
        hexString(Array(SHA256.hash(data: Array(text.utf8))))
    }

    /// Lowercase hex of `bytes`.
    static func hexString(_ bytes: [UInt8]) -> String {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension String {
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let first = s.first, first.isWhitespace { s.removeFirst() }
        while let last = s.last, last.isWhitespace { s.removeLast() }
        return String(s)
    }
}
