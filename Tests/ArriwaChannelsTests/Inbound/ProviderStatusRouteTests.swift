import ArriwaChannels
import ArriwaCore
import ArriwaRuntime
import ArriwaStore
import Testing

/// Status webhooks over real HTTP: the provider's id is mapped to our message id and lane through
/// the message log; statuses of messages we do not know are acknowledged and counted.
@Suite struct ProviderStatusRouteTests {
    static let lane = Phone.hash(InboundFixtures.lead) ?? ""
    static let wamid = "wamid.HBgLMTU1NTAxMDA0NTYVAgARGBI1RjQyNUE3NEYxMzAzMzQ5MkEA"

    /// A message log row as the outbox dispatcher leaves it: our id linked to the provider's.
    func seedMessageLog(_ store: any Store, ourID: String, providerID: String) async throws {
        let now = SystemClock.nowMillis()
        let seed = InboundMessage(id: "seed-\(ourID)", text: "hi", receivedAt: now, contact: Contact(subscriberID: "s1", phoneHash: Self.lane))
        _ = try await store.appendInbox(InboxItem(tenant: ProviderServerHarness.tenant, lane: Self.lane, dedupeKey: "seed-\(ourID)",
                                                  kind: .message, event: .inbound(seed), receivedAt: now))
        let claim = try #require(try await store.claimLanes(owner: "seed", limit: 10, perLane: 10, now: now, leaseMillis: 60_000).first)
        _ = try await store.commitTurn(TurnCommit(
            tenant: ProviderServerHarness.tenant, lane: Self.lane, owner: "seed", now: now, consumed: claim.entries.map(\.seq),
            messages: [MessageLogRecord(tenant: ProviderServerHarness.tenant, messageID: ourID, providerMessageID: providerID,
                                        sessionID: "ctwa_fb_s1_1", lane: Self.lane, state: "sent", updatedAt: now)],
            releaseLane: true))
    }

    func statuses(_ server: ProviderServerHarness) async throws -> [(dedupe: String, status: DeliveryStatus)] {
        try await server.inbox().compactMap { entry in
            guard case .status(let status) = entry.item.event else { return nil }
            #expect(entry.item.kind == .status)
            #expect(entry.item.lane == Self.lane)
            return (entry.item.dedupeKey, status)
        }
    }

    @Test(arguments: ProviderServerHarness.Backend.allCases)
    func cloudStatusesMapToOurMessageID(backend: ProviderServerHarness.Backend) async throws {
        try await ProviderServerHarness.run(backend: backend) { server in
            try await seedMessageLog(server.store, ourID: "out-1", providerID: Self.wamid)
            let delivered = try await server.post("cloud", try InboundFixtures.bytes("cloud-status-delivered"))
            #expect(delivered.status == 200 && delivered.json["queued"] as? Int == 1)
            let failed = try await server.post("cloud", try InboundFixtures.bytes("cloud-status-failed-131047"))
            #expect(failed.json["queued"] as? Int == 1)
            #expect(try await server.post("cloud", try InboundFixtures.bytes("cloud-status-delivered")).json["status"] as? String == "duplicate")
            let found = try await statuses(server)
            #expect(found.map(\.dedupe) == ["status:out-1:delivered", "status:out-1:failed"])
            #expect(found.first?.status == DeliveryStatus(messageID: "out-1", state: .delivered, at: 1_767_702_641_000))
            #expect(found.last?.status == DeliveryStatus(messageID: "out-1", state: .failed, at: 1_767_792_341_000, errorCode: 131047,
                                                         errorTitle: "Re-engagement message"))
        }
    }

    @Test func gupshupEventsMapByGupshupsOwnID() async throws {
        try await ProviderServerHarness.run { server in
            try await seedMessageLog(server.store, ourID: "out-7", providerID: "59f8db90-c37e-4408-90ab-cc54ef8246ad")
            #expect(try await server.post("gupshup", try InboundFixtures.bytes("gupshup-message-event-read")).json["queued"] as? Int == 1)
            #expect(try await server.post("gupshup", try InboundFixtures.bytes("gupshup-message-event-enqueued")).json["status"] as? String == "ignored")
            let found = try await statuses(server)
            #expect(found.map(\.dedupe) == ["status:out-7:read"])
            #expect(found.first?.status.state == .read)
        }
    }

    @Test func statusOfAnUnknownMessageIsAcknowledgedAndCounted() async throws {
        try await ProviderServerHarness.run { server in
            let reply = try await server.post("cloud", try InboundFixtures.bytes("cloud-status-read"))
            #expect(reply.status == 200)
            #expect(reply.json["status"] as? String == "ignored")
            #expect(reply.json["unknown_statuses"] as? Int == 1)
            #expect(try await server.inbox().isEmpty)
        }
    }
}
