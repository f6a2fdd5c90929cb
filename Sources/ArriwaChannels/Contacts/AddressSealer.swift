public import Crypto
public import Foundation

/// Seals a lead's WhatsApp address (phone number or business-scoped user id) before it reaches the
/// store, and opens it only where a message is sent: AES-256-GCM with a key from the environment.
/// The store keeps `nonce ‖ ciphertext ‖ tag`; keys, lanes and logs only ever see the hash.
public struct AddressSealer: Sendable {
    /// The environment variable holding the key: 32 bytes, base64.
    public static let environmentKey = "ARRIWA_CONTACT_KEY"

    public enum SealerError: Error, Sendable, CustomStringConvertible, Equatable {
        case missingKey
        case badKey(String)
        case cannotOpen

        public var description: String {
            switch self {
            case .missingKey:
                "\(AddressSealer.environmentKey) is not set: a provider channel needs it to store leads' numbers encrypted "
                    + "(generate one with `openssl rand -base64 32`)"
            case .badKey(let why):
                "\(AddressSealer.environmentKey) is not a usable key: \(why) (expected 32 random bytes, base64)"
            case .cannotOpen:
                "a stored contact address could not be decrypted (was \(AddressSealer.environmentKey) changed?)"
            }
        }
    }

    private let key: SymmetricKey

    public init(key: SymmetricKey) {
        self.key = key
    }

    /// The sealer from `ARRIWA_CONTACT_KEY` (base64 of 32 bytes); never logs the key.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) throws(SealerError) {
        guard let text = environment[Self.environmentKey]?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else {
            throw .missingKey
        }
        guard let bytes = Data(base64Encoded: text) else { throw .badKey("not base64") }
        guard bytes.count == 32 else { throw .badKey("\(bytes.count) bytes, not 32") }
        self.key = SymmetricKey(data: bytes)
    }

    /// A fresh random key (tests, `arriwa` demos without a provider).
    public static func random() -> AddressSealer {
        AddressSealer(key: SymmetricKey(size: .bits256))
    }

    /// Seals `address` with a fresh nonce: the same address seals differently each time.
    public func seal(_ address: String) throws -> Data {
        guard let combined = try AES.GCM.seal(Data(address.utf8), using: key).combined else { throw SealerError.cannotOpen }
        return combined
    }

    /// Opens what `seal` produced with the same key; a wrong key or altered bytes throw `cannotOpen`.
    public func open(_ sealed: Data) throws(SealerError) -> String {
        do {
            let box = try AES.GCM.SealedBox(combined: sealed)
            let plain = try AES.GCM.open(box, using: key)
            return String(decoding: plain, as: UTF8.self)
        } catch {
            throw .cannotOpen
        }
    }
}
