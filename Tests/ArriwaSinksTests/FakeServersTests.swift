import ArriwaTestSupport
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// The fakes speak the providers' formats: the fixtures' own request bodies are accepted and
/// answered in the documented shapes, and what Meta refuses is refused with Meta's error.
@Suite struct FakeServersTests {
    func send(_ client: HTTPClient, _ method: HTTPMethod, _ url: String, token: String, contentType: String, body: Data) async throws -> (Int, RecordedJSON?) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: contentType)
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await client.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), try? JSONDecoder().decode(RecordedJSON.self, from: Data(bytes.readableBytesView)))
    }

    @Test func fakeMetaAcceptsTheFixtureEventAndRefusesLeadLikeMeta() async throws {
        try await SinksHarness.run { h in
            let body = try Data(contentsOf: SinksHarness.fixture("capi-business-messaging-event.json"))
            await h.meta.setNow(1_767_702_900 + 60)
            let url = "\(h.meta.baseURL)/v23.0/1029384756102938/events"
            let (status, answer) = try await send(h.client, .POST, url, token: SinksHarness.metaToken, contentType: "application/json", body: body)
            #expect(status == 200)
            let expected = try SinksHarness.fixtureJSON("capi-response.json")
            #expect(answer?["events_received"] == expected["events_received"])
            #expect(answer?["messages"] == expected["messages"])
            #expect(answer?["fbtrace_id"]?.string != nil)

            let lead = String(decoding: body, as: UTF8.self).replacingOccurrences(of: "\"LeadSubmitted\"", with: "\"Lead\"")
            let (refused, error) = try await send(h.client, .POST, url, token: SinksHarness.metaToken, contentType: "application/json", body: Data(lead.utf8))
            #expect(refused == 400)
            #expect(error == (try SinksHarness.fixtureJSON("capi-error-invalid-event.json")))
        }
    }

    @Test func fakeMetaTakesTheAudienceFixturePayload() async throws {
        try await SinksHarness.run { h in
            let fixture = try JSONSerialization.jsonObject(with: Data(contentsOf: SinksHarness.fixture("audience-add-users.json"))) as? [String: Any]
            let payload = try JSONSerialization.data(withJSONObject: try #require(fixture?["payload"]))
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "-._~")
            let form = "payload=" + (String(decoding: payload, as: UTF8.self).addingPercentEncoding(withAllowedCharacters: allowed) ?? "")
            let (status, answer) = try await send(h.client, .POST, "\(h.meta.baseURL)/v23.0/23849503948572039/users", token: SinksHarness.metaToken,
                                                  contentType: "application/x-www-form-urlencoded", body: Data(form.utf8))
            #expect(status == 200)
            #expect(answer?["num_received"]?.number == 3)
            #expect(answer?["num_invalid_entries"]?.number == 0)
            #expect(await h.meta.members(of: "23849503948572039").count == 3)
        }
    }

    @Test func fakeKommoTakesTheComplexLeadFixture() async throws {
        try await SinksHarness.run { h in
            let fixture = try JSONSerialization.jsonObject(with: Data(contentsOf: SinksHarness.fixture("kommo-complex-lead.json"))) as? [String: Any]
            let body = try JSONSerialization.data(withJSONObject: try #require(fixture?["body"]))
            let (status, answer) = try await send(h.client, .POST, "\(h.kommo.baseURL)/api/v4/leads/complex", token: SinksHarness.kommoToken,
                                                  contentType: "application/json", body: body)
            #expect(status == 200)
            #expect(answer?[0]?["request_id"] == .array([.string("0")]))
            #expect(answer?[0]?["merged"] == .bool(false))
            let lead = try #require(await h.kommo.leads().first)
            #expect(lead.statusID == 65_432_109)
            #expect(lead.tags == ["whatsapp", "ctwa", "hot-lead"])
            #expect(lead.fields["1048207"] == ["902311"], "an enum value")
            #expect(await h.kommo.contacts().first?.fields["PHONE"] == ["+15550100456"])
            let (unauthorized, _) = try await send(h.client, .POST, "\(h.kommo.baseURL)/api/v4/leads/complex", token: "wrong",
                                                   contentType: "application/json", body: body)
            #expect(unauthorized == 401)
        }
    }
}
