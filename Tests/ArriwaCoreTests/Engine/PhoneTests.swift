import ArriwaCore
import Testing

@Suite("Phone")
struct PhoneTests {
    @Test("numbers normalise to international digits and hash the way Meta's ph does")
    func normaliseAndHash() throws {
        #expect(Phone.normalize("+7 (999) 123-45-67") == "79991234567")
        #expect(Phone.normalize("0079991234567") == "79991234567")
        #expect(Phone.normalize("12") == nil)
        let hash = try #require(Phone.hash("+7 999 123 45 67"))
        #expect(hash == Phone.hash("79991234567"))
        #expect(Phone.isHash(hash))
    }

    @Test("only a bare 64-hex hash passes for a phone hash; prefixed lane keys and other text do not")
    func isHash() {
        let hex = String(repeating: "0f", count: 32)
        #expect(Phone.isHash(hex))
        #expect(!Phone.isHash("bsuid-" + hex))
        #expect(!Phone.isHash("lid-" + hex))
        #expect(!Phone.isHash(hex.uppercased()))
        #expect(!Phone.isHash(String(hex.dropLast())))
        #expect(!Phone.isHash(""))
    }
}
