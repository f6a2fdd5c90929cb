import ArriwaCore
import ArriwaRuntime
import ArriwaSinks
import ArriwaStore
import ArriwaTestSupport
import Foundation
import Testing

/// The Custom Audiences sink against the fake Graph API.
@Suite struct AudienceSinkTests {
    static let qualified = "23851000000000002"
    static let started = "23851000000000001"

    @Test func concurrentAddsGoInOneRequestWithTheFixturesPayload() async throws {
        try await SinksHarness.run(window: .milliseconds(300)) { h in
            let fixture = try SinksHarness.fixtureJSON("audience-add-users.json")
            let expected = Set(try #require(fixture["payload"]?["data"]?.array).compactMap { $0[0]?.string })
            let phones = ["+1 555 010 0456", "+15550100789", "+55 11 95550-1234"]
            let rows = phones.enumerated().map { index, phone in
                var emission = SinksHarness.emission("QUALIFY_COMPLETE", phone: phone, session: "a\(index)", sinks: ["audiences"])
                emission.audiencesAdd = ["A2_QUALIFIED"]
                return SinksHarness.record(emission, destination: "audiences", id: Int64(index))
            }
            let sink = h.audiences
            try await withThrowingTaskGroup(of: String?.self) { group in
                for row in rows { group.addTask { try await sink.deliver(row) } }
                for try await remote in group { #expect(remote == "audiences: +A2_QUALIFIED") }
            }
            let requests = await h.meta.audienceRequests()
            try #require(requests.count == 1, "one request for the three leads")
            #expect(requests[0].method == "POST")
            #expect(requests[0].audienceID == Self.qualified)
            #expect(requests[0].schema == fixture["payload"]?["schema"]?[0]?.string)
            #expect(Set(requests[0].hashes) == expected, "Meta's normalisation: digits with country code, SHA-256")
        }
    }

    @Test func aLeadKnownOnlyByItsBusinessScopedIDIsSkippedNotUploadedAsAPhone() async throws {
        try await SinksHarness.run { h in
            // The inbound side keys such a lead by a prefixed hash of its BSUID, which travels as
            // the contact's phoneHash: it must never reach Meta as PHONE_SHA256.
            var emission = SinksHarness.emission("QUALIFY_COMPLETE", session: "u1", sinks: ["audiences"])
            emission.phoneHash = "bsuid-" + String(repeating: "ab", count: 32)
            emission.audiencesAdd = ["A2_QUALIFIED"]
            let remote = try await h.audiences.deliver(SinksHarness.record(emission, destination: "audiences", id: 1))
            #expect(remote?.hasPrefix("skipped") == true)
            #expect(await h.meta.audienceRequests().isEmpty)
        }
    }

    @Test func aMoveRemovesFromOneAudienceAndAddsToTheOther() async throws {
        try await SinksHarness.run { h in
            try await h.say("Hi")
            try await h.settle()
            let hash = try #require(Phone.hash("+15550100456"))
            #expect(await h.meta.members(of: Self.started) == [hash], "FUNNEL_STARTED adds to A1")
            try await h.say("yes")
            try await h.settle()
            #expect(await h.meta.members(of: Self.started).isEmpty, "QUALIFY_COMPLETE leaves A1…")
            #expect(await h.meta.members(of: Self.qualified) == [hash], "…and joins A2")
            let methods = await h.meta.audienceRequests().filter { $0.audienceID == Self.started }.map(\.method)
            #expect(methods == ["POST", "DELETE"])
            #expect(try await h.rows("audiences").allSatisfy { $0.status == .delivered })
        }
    }

    @Test func rateLimitsAreRetriedAfter1_2_4_8Seconds() async throws {
        try await SinksHarness.run { h in
            await h.meta.enqueueAudienceFailure(.audienceRateLimit, .audienceRateLimit, .tooManyRequests, .serverError)
            try await h.say("Hi")
            var waits: [Int64] = []
            try await h.settle()
            for _ in 0..<4 {
                let row = try #require(try await h.rows("audiences").first)
                guard row.status == .pending else { break }
                let now = await h.clock.now()
                waits.append(row.nextAttemptAt - now)
                #expect(row.lastError?.contains("Meta Custom Audiences answered HTTP") == true)
                await h.clock.advance(by: row.nextAttemptAt - now)
                try await h.settle()
            }
            #expect(waits == [1000, 2000, 4000, 8000])
            let row = try #require(try await h.rows("audiences").first)
            #expect(row.status == .delivered)
            #expect(row.attempts == 5)
            #expect(await h.meta.members(of: Self.started).count == 1)
        }
    }

    @Test func batchesNeverExceedTheirCap() async throws {
        #expect(AudienceSink.Configuration().maxBatch == 10_000)
        #expect(AudienceSink.Configuration(maxBatch: 50_000).maxBatch == 10_000, "Meta's limit per request")
        try await SinksHarness.run { h in
            let sink = AudienceSink(configs: h.configs, client: h.client, configuration: .init(window: .milliseconds(300), maxBatch: 2))
            let rows = (0..<5).map { index in
                var emission = SinksHarness.emission("X", phone: "+1555010010\(index)", session: "c\(index)", sinks: ["audiences"])
                emission.audiencesAdd = ["CA_EXCLUDE_NOISE"]
                return SinksHarness.record(emission, destination: "audiences", id: Int64(index))
            }
            try await withThrowingTaskGroup(of: String?.self) { group in
                for row in rows { group.addTask { try await sink.deliver(row) } }
                try await group.waitForAll()
            }
            let sizes = await h.meta.audienceRequests().map(\.hashes.count)
            #expect(sizes.sorted() == [1, 2, 2])
            #expect(await h.meta.members(of: "23851000000000004").count == 5)
        }
    }

    @Test func stopRemovesTheLeadFromEveryAudience() async throws {
        try await SinksHarness.run { h in
            try await h.say("Hi")
            try await h.say("yes")
            try await h.settle()
            let hash = try #require(Phone.hash("+15550100456"))
            #expect(await h.meta.members(of: Self.qualified) == [hash])
            try await h.say("stop")
            try await h.settle()
            let removals = await h.meta.audienceRequests().filter { $0.method == "DELETE" && $0.hashes == [hash] }.map(\.audienceID)
            #expect(Set(removals).isSuperset(of: ["23851000000000001", "23851000000000002", "23851000000000003", "23851000000000004",
                                                   "23851000000000005", "23851000000000011", "23851000000000012"]), "every declared audience")
            #expect(await h.meta.members(of: Self.qualified).isEmpty)
            #expect(await h.meta.members(of: "23851000000000011").isEmpty, "CA_QUAL_Q1 too")
        }
    }

    @Test func anUndeclaredAudienceFailsPermanently() async throws {
        try await SinksHarness.run { h in
            var emission = SinksHarness.emission("X", sinks: ["audiences"])
            emission.audiencesAdd = ["NOT_DECLARED"]
            let error = await #expect(throws: DeliveryError.self) {
                _ = try await h.audiences.deliver(SinksHarness.record(emission, destination: "audiences"))
            }
            #expect(error?.kind == .permanent)
            #expect(error?.message.contains("NOT_DECLARED") == true)
        }
    }
}
