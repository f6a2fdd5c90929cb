public import Foundation
import Crypto

/// Stripe's webhook signature (`Stripe-Signature: t=<unix>,v1=<hex>[,v1=…][,v0=…]`): v1 is
/// HMAC-SHA256(endpoint secret, "<t>.<raw body>") in hex. Accepted when any v1 matches (several
/// during a secret rotation) and `t` is within the tolerance (300 s) of now.
public enum StripeSignature {
    public static let defaultTolerance: Int64 = 300

    public enum Failure: Error, Sendable, Hashable, CustomStringConvertible {
        case missingHeader
        case malformed
        case noSignature
        case outsideTolerance(ageSeconds: Int64)
        case mismatch

        public var description: String {
            switch self {
            case .missingHeader: "missing Stripe-Signature header"
            case .malformed: "Stripe-Signature has no timestamp (t=)"
            case .noSignature: "Stripe-Signature has no v1 signature"
            case .outsideTolerance(let age): "Stripe-Signature timestamp is \(age) s from now (tolerance \(defaultTolerance) s)"
            case .mismatch: "Stripe-Signature does not match the body (wrong endpoint secret or altered body)"
            }
        }
    }

    /// Checks `header` against the raw `payload`; `now` in Unix seconds.
    public static func verify(payload: Data, header: String?, secret: String, now: Int64,
                              tolerance: Int64 = defaultTolerance) throws(Failure) {
        guard let header, !header.isEmpty else { throw .missingHeader }
        var timestamp: Int64?
        var signatures: [String] = []
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { continue }
            switch pair[0] {
            case "t": timestamp = Int64(pair[1])
            case "v1": signatures.append(pair[1].lowercased())
            default: break
            }
        }
        guard let timestamp else { throw .malformed }
        guard !signatures.isEmpty else { throw .noSignature }
        let expected = Data(hex(payload: payload, secret: secret, timestamp: timestamp).utf8)
        guard signatures.contains(where: { constantTimeEqual(Data($0.utf8), expected) }) else { throw .mismatch }
        guard abs(now - timestamp) <= tolerance else { throw .outsideTolerance(ageSeconds: now - timestamp) }
    }

    /// `t=<timestamp>,v1=<hex>` for `payload` (what Stripe sends; used by tests and tools).
    public static func header(payload: Data, secret: String, timestamp: Int64) -> String {
        "t=\(timestamp),v1=\(hex(payload: payload, secret: secret, timestamp: timestamp))"
    }

    static func hex(payload: Data, secret: String, timestamp: Int64) -> String {
        var signed = Data("\(timestamp).".utf8)
        signed.append(payload)
        let mac = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: Data(secret.utf8)))
        return mac.map { byte in
            let text = String(byte, radix: 16)
            return text.count == 1 ? "0" + text : text
        }.joined()
    }

    static func constantTimeEqual(_ a: Data, _ b: Data) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}
