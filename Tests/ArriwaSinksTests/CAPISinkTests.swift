import ArriwaCore
import ArriwaRuntime
import ArriwaSinks
import ArriwaStore
import ArriwaTestSupport
import Foundation
import Testing

/// The Meta Conversions API sink against the fake Graph API.
@Suite struct CAPISinkTests {
    @Test func aPurchaseIsSentExactlyInTheBusinessMessagingShapeOfTheFixture() async throws {
        try await SinksHarness.run { h in
            let fixture = try SinksHarness.fixtureJSON("capi-business-messaging-purchase.json")
            let expected = try #require(fixture["data"]?[0])
            // The fixture's event, as our engine would emit it.
            await h.meta.setNow(Int64(try #require(expected["event_time"]?.number)) + 60)
            var purchase = SinksHarness.emission("Purchase", key: "cs_test_a1B2c3D4e5F6g7H8-Purchase", eventTime: 1_767_790_000_000)
            purchase.value = 1490
            purchase.currency = "brl"
            let remote = try await h.capi.deliver(SinksHarness.record(purchase))
            let events = await h.meta.events()
            try #require(events.count == 1)
            #expect(events[0].event == expected, "the event equals the fixture's")
            #expect(events[0].dataset == SinksHarness.goodDataset)
            #expect(events[0].partnerAgent == "arriwa")
            #expect(remote == "AfakeTrace\(SinksHarness.goodDataset)", "Meta's fbtrace_id is the row's remote id")
        }
    }

    @Test func funnelEventsAreMappedToMetasNamesWithCtwaClidAndWabaUnhashed() async throws {
        try await SinksHarness.run { h in
            let fixture = try #require(try SinksHarness.fixtureJSON("capi-business-messaging-event.json")["data"]?[0])
            _ = try await h.capi.deliver(SinksHarness.record(SinksHarness.emission("QUALIFY_COMPLETE")))
            let event = try #require(await h.meta.events().first?.event)
            #expect(event["event_name"]?.string == "QualifiedLead")
            #expect(event["event_id"]?.string == "s-1-qualify_complete")
            #expect(event["action_source"] == fixture["action_source"])
            #expect(event["messaging_channel"] == fixture["messaging_channel"])
            #expect(event["user_data"] == fixture["user_data"], "WABA id and ctwa_clid, unhashed, and nothing else")
            let seconds = try #require(event["event_time"]?.number)
            #expect(abs(seconds - Double(SystemClock.nowMillis() / 1000)) < 60, "event_time is in Unix seconds")
        }
    }

    @Test func goodAndNoiseStreamsGoToTheirOwnDatasets() async throws {
        try await SinksHarness.run { h in
            _ = try await h.capi.deliver(SinksHarness.record(SinksHarness.emission("QUALIFY_Q1")))
            _ = try await h.capi.deliver(SinksHarness.record(SinksHarness.emission("NEG_QUALIFY_Q1", stream: .NOISE)))
            let events = await h.meta.events()
            #expect(events.map(\.dataset) == [SinksHarness.goodDataset, SinksHarness.noiseDataset])
            #expect(events.map(\.eventName) == ["LeadSubmitted", "LeadSubmitted"])
        }
    }

    @Test func eventsMappedToNoneAndOrganicLeadsAreSkippedNotSent() async throws {
        try await SinksHarness.run { h in
            let none = try await h.capi.deliver(SinksHarness.record(SinksHarness.emission("FUNNEL_STARTED")))
            let organic = try await h.capi.deliver(SinksHarness.record(SinksHarness.emission("QUALIFY_COMPLETE", ctwaClid: nil)))
            #expect(none?.hasPrefix("skipped: FUNNEL_STARTED is mapped to none") == true)
            #expect(organic?.hasPrefix("skipped: no ctwa_clid") == true)
            #expect(await h.meta.eventRequestCount() == 0)
        }
    }

    @Test func anUnmappedNameMetaRejectsFailsPermanentlyWithoutASend() async throws {
        try await SinksHarness.run { h in
            let error = await #expect(throws: DeliveryError.self) {
                _ = try await h.capi.deliver(SinksHarness.record(SinksHarness.emission("Lead")))
            }
            #expect(error?.kind == .permanent)
            #expect(error?.message.contains("conversions.event_names") == true)
            #expect(await h.meta.eventRequestCount() == 0)
        }
    }

    @Test func aRowWhoseEarlierAttemptLeftNoOutcomeIsRefusedNotResent() async throws {
        try await SinksHarness.run { h in
            // A retry after a recorded failure is sent; a row in doubt (its earlier attempt was
            // killed mid-delivery) is refused: Meta does not deduplicate, so never twice.
            var retried = SinksHarness.record(SinksHarness.emission("QUALIFY_COMPLETE", session: "d1"), id: 1)
            retried.attempts = 2
            retried.lastError = "capi answered HTTP 503"
            _ = try await h.capi.deliver(retried)
            #expect(await h.meta.eventRequestCount() == 1)
            var doubtful = SinksHarness.record(SinksHarness.emission("QUALIFY_COMPLETE", session: "d2"), id: 2)
            doubtful.attempts = 2
            doubtful.inDoubt = true
            let error = await #expect(throws: DeliveryError.self) { _ = try await h.capi.deliver(doubtful) }
            #expect(error?.kind == .permanent)
            #expect(error?.message.hasPrefix("in doubt") == true)
            #expect(await h.meta.eventRequestCount() == 1)
        }
    }

    @Test func concurrentRowsAreBatchedIntoOneRequestPerDataset() async throws {
        try await SinksHarness.run(window: .milliseconds(300)) { h in
            let rows = (0..<5).map { SinksHarness.record(SinksHarness.emission("QUALIFY_COMPLETE", session: "b\($0)"), id: Int64($0)) }
                + (5..<7).map { SinksHarness.record(SinksHarness.emission("NEG_QUALIFY_Q1", stream: .NOISE, session: "b\($0)"), id: Int64($0)) }
            let capi = h.capi
            try await withThrowingTaskGroup(of: String?.self) { group in
                for row in rows { group.addTask { try await capi.deliver(row) } }
                for try await remote in group { #expect(remote?.hasPrefix("AfakeTrace") == true) }
            }
            #expect(await h.meta.eventRequestCount() == 2, "one request per dataset")
            let events = await h.meta.events()
            #expect(Set(events.compactMap(\.eventID)) == Set(rows.map(\.item.key)))
        }
    }

    @Test func aBatchMetaRefusesIsSplitSoOnlyTheBadEventFails() async throws {
        try await SinksHarness.run(window: .milliseconds(300)) { h in
            let old = SystemClock.nowMillis() - 8 * 86_400_000
            let good1 = SinksHarness.record(SinksHarness.emission("QUALIFY_COMPLETE", session: "p1"), id: 1)
            let stale = SinksHarness.record(SinksHarness.emission("QUALIFY_COMPLETE", eventTime: old, session: "p2"), id: 2)
            let good2 = SinksHarness.record(SinksHarness.emission("QUALIFY_COMPLETE", session: "p3"), id: 3)
            let capi = h.capi
            async let a = Result { try await capi.deliver(good1) }
            async let b = Result { try await capi.deliver(stale) }
            async let c = Result { try await capi.deliver(good2) }
            let results = await [a, b, c]
            #expect((try? results[0].get()) != nil)
            #expect((try? results[2].get()) != nil)
            guard case .failure(let error as DeliveryError) = results[1] else {
                Issue.record("the stale event must fail")
                return
            }
            #expect(error.kind == .permanent)
            #expect(error.message.contains("2804003"), "Meta's error is kept: \(error.message)")
            #expect(await h.meta.eventRequestCount() == 4, "the refused batch, then each event alone")
            #expect(await h.meta.events().compactMap(\.eventID).sorted() == ["p1-qualify_complete", "p3-qualify_complete"])
        }
    }

    @Test func rateLimitsAndServerErrorsAreRetriedUntilDelivered() async throws {
        try await SinksHarness.run { h in
            await h.meta.enqueueFailure(.tooManyRequests, .serverError)
            try await h.say("Hi", ctwaClid: "CLID-RETRY")
            try await h.say("yes")
            try await h.settle()
            var rows = try await h.rows("capi")
            #expect(rows.allSatisfy { $0.status == .pending }, "both attempts so far failed or wait")
            #expect(rows.contains { $0.lastError?.contains("HTTP 429") == true || $0.lastError?.contains("HTTP 500") == true })
            for _ in 0..<4 {
                await h.clock.advance(by: 8000)
                try await h.settle()
            }
            rows = try await h.rows("capi")
            #expect(rows.count == 2, "QUALIFY_Q1 and QUALIFY_COMPLETE")
            #expect(rows.allSatisfy { $0.status == .delivered })
            let ids = await h.meta.events().compactMap(\.eventID)
            #expect(ids.count == Set(ids).count, "no event id reached Meta twice")
            #expect(Set(ids) == Set(rows.map(\.item.key)))
        }
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do {
            self = .success(try await body())
        } catch {
            self = .failure(error)
        }
    }
}
