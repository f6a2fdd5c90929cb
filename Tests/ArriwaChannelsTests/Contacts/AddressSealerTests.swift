import ArriwaChannels
import Crypto
import Foundation
import Testing

@Suite("Contact address sealing")
struct AddressSealerTests {
    @Test("a sealed address opens with the same key, differs per seal, and hides the number")
    func roundTrip() throws {
        let sealer = AddressSealer.random()
        let a = try sealer.seal("79991234567")
        let b = try sealer.seal("79991234567")
        #expect(a != b)
        #expect(try sealer.open(a) == "79991234567")
        #expect(try sealer.open(b) == "79991234567")
        #expect(!String(decoding: a, as: UTF8.self).contains("79991234567"))
    }

    @Test("another key or altered bytes cannot open it")
    func wrongKeyOrTampered() throws {
        let sealed = try AddressSealer.random().seal("79991234567")
        #expect(throws: AddressSealer.SealerError.cannotOpen) { try AddressSealer.random().open(sealed) }
        let sealer = AddressSealer.random()
        var tampered = try sealer.seal("79991234567")
        tampered[tampered.count - 1] ^= 0x01
        #expect(throws: AddressSealer.SealerError.cannotOpen) { try sealer.open(tampered) }
    }

    @Test("the key comes from ARRIWA_CONTACT_KEY: missing, not base64 and wrong length are refused by name")
    func keyFromEnvironment() throws {
        #expect(throws: AddressSealer.SealerError.missingKey) { try AddressSealer(environment: [:]) }
        #expect(throws: AddressSealer.SealerError.badKey("not base64")) { try AddressSealer(environment: ["ARRIWA_CONTACT_KEY": "%%%"]) }
        let short = Data(repeating: 1, count: 16).base64EncodedString()
        #expect(throws: AddressSealer.SealerError.badKey("16 bytes, not 32")) { try AddressSealer(environment: ["ARRIWA_CONTACT_KEY": short]) }
        let good = Data((0..<32).map { UInt8($0) }).base64EncodedString()
        let sealer = try AddressSealer(environment: ["ARRIWA_CONTACT_KEY": good])
        let again = try AddressSealer(environment: ["ARRIWA_CONTACT_KEY": good])
        #expect(try again.open(sealer.seal("+15551234567")) == "+15551234567")
        #expect(!AddressSealer.SealerError.missingKey.description.contains(good))
    }
}
