import ArriwaChannels
import Testing

/// The webhook JSON reader: escapes as Meta sends them, raw object ranges, limits.
@Suite struct WebhookJSONTests {
    func parse(_ text: String) throws -> WebhookJSON {
        try WebhookJSON.parse(Array(text.utf8))
    }

    @Test func unicodeEscapesDecodeToUTF8() throws {
        let value = try parse(#"{"a":"Ol\u00e1 \ud83d\udc4b \u4e2d \u0041","b":"\n\t\"\\\/"}"#)
        #expect(value["a"]?.string == "Olá 👋 中 A")
        #expect(value["b"]?.string == "\n\t\"\\/")
        #expect(try parse(#"["\ud83d x"]"#).array?.first?.string == "\u{FFFD} x")
    }

    @Test func signatureVectorBodyReadsAsMetaMeantIt() throws {
        let vector = try InboundFixtures.object("cloud-signature-test-vector")
        let body = Array(try #require(vector["raw_body"] as? String).utf8)
        let parse = WebhookProvider.cloud.parse(body, now: 0)
        #expect(parse.messages.first?.message.text == "Olá 👋")
        #expect(parse.messages.first?.message.contact.profileName == "José Araújo")
    }

    @Test func objectsKeepTheirRawRange() throws {
        let text = #"{"x": 1, "ref" : { "k" : "v" } }"#
        guard case .object(_, let whole) = try parse(text), case .object(_, let inner)? = try parse(text)["ref"] else {
            Issue.record("expected objects")
            return
        }
        #expect(whole == 0..<text.utf8.count)
        #expect(String(decoding: Array(text.utf8)[inner], as: UTF8.self) == #"{ "k" : "v" }"#)
    }

    @Test func duplicateKeysKeepTheLast() throws {
        #expect(try parse(#"{"a":1,"a":"two"}"#)["a"]?.string == "two")
    }

    @Test func malformedInputThrowsWithAnOffset() {
        for text in ["", "{", #"{"a":}"#, #"{"a":1} x"#, "[1,]", #""\x""#, "tru", "-", "{\"a\":\"\u{1}\"}"] {
            #expect(throws: WebhookJSON.SyntaxError.self, "\(text)") { try parse(text) }
        }
    }

    @Test func nestingIsBounded() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: WebhookJSON.SyntaxError.self) { try parse(deep) }
        let fine = String(repeating: "[", count: 60) + String(repeating: "]", count: 60)
        #expect(throws: Never.self) { try parse(fine) }
    }
}
