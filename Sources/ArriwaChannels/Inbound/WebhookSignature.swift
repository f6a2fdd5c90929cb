import Crypto

/// Webhook authenticity checks. Every comparison is constant-time; no secret is ever logged.
public enum WebhookSignature {
    /// The Cloud API signature header.
    public static let cloudHeader = "X-Hub-Signature-256"

    /// True when `header` is `sha256=<hex HMAC-SHA256(appSecret, body)>` for these exact bytes
    /// (Meta signs the raw body; any re-serialization breaks it). Upper- or lower-case hex.
    public static func verifyCloud(body: [UInt8], header: String?, appSecret: String) -> Bool {
        guard let header, !appSecret.isEmpty else { return false }
        let trimmed = header.utf8.count > 7 && header.lowercased().hasPrefix("sha256=") ? header.dropFirst(7) : Substring(header)
        guard let signature = hexBytes(trimmed), signature.count == SHA256.byteCount else { return false }
        let key = SymmetricKey(data: Array(appSecret.utf8))
        return HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: body, using: key)
    }

    /// `sha256=<hex>` for `body`: what Meta sends (tests and the ingest benchmark sign with it).
    public static func cloudHeaderValue(body: [UInt8], appSecret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(appSecret.utf8)))
        return "sha256=" + LeadAddress.hexString(Array(mac))
    }

    /// Constant-time equality of two secrets (their SHA-256 digests are compared, so the time does
    /// not depend on where they differ nor on their lengths).
    public static func secretsMatch(_ presented: String?, _ expected: String?) -> Bool {
        guard let presented, let expected, !expected.isEmpty else { return false }
        let a = SHA256.hash(data: Array(presented.utf8))
        let b = SHA256.hash(data: Array(expected.utf8))
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }

    static func hexBytes(_ text: Substring) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// Meta's GET verification handshake: `hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`.
public enum CloudVerification {
    public enum Outcome: Sendable, Hashable {
        /// Answer 200 with the challenge as text/plain.
        case accepted(challenge: String)
        /// Answer 403; the reason is safe to log (it never holds the token).
        case refused(String)
    }

    /// Decides the handshake from the query parameters and the tenant's verify token.
    public static func answer(mode: String?, token: String?, challenge: String?, verifyToken: String?) -> Outcome {
        guard mode == "subscribe" else { return .refused("hub.mode is not subscribe") }
        guard let challenge, !challenge.isEmpty, challenge.utf8.count <= 512 else { return .refused("hub.challenge is missing") }
        guard verifyToken != nil else { return .refused("no verify token is configured for the tenant") }
        guard WebhookSignature.secretsMatch(token, verifyToken) else { return .refused("hub.verify_token does not match") }
        return .accepted(challenge: challenge)
    }
}
