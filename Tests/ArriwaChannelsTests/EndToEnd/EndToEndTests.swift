import ArriwaChannels
import ArriwaCore
import ArriwaRuntime
import ArriwaStore
import ArriwaTestSupport
import Foundation
import Testing

/// The whole path on PostgreSQL: webhooks in → the funnel runs → sends seen at the fake provider →
/// its status webhooks back → nudges fire → conversions reach the outbox; and the provider's
/// failures handled end to end (131047 → the node's template; technical failures → a handover
/// after the 3rd failed delivery).
///
/// The webhooks are Meta's Cloud API envelopes signed with X-Hub-Signature-256, posted to the
/// tenant's `/webhook/{tenant}/{secret}/cloud` route, which also stores the lead's sealed number
/// the channel sends to.
@Suite(.serialized) struct EndToEndTests {
    typealias H = EndToEndHarness

    @Test func webhooksInFunnelRunsSendsStatusesBackNudgesFireConversionsReachTheOutbox() async throws {
        try await H.run { h in
            #expect(try await h.fake.postInbound(from: H.lead, text: "Hi") == 200)
            let first = try await h.sends(1)
            #expect(first[0].type == "interactive")
            #expect(first[0].to == H.lead)
            #expect(first[0].shownText == "Hi! Which treatment are you interested in?")
            let wamid = try #require(first[0].wamid)

            // sent, delivered, read come back as webhooks and move the message log forward.
            try await h.waitUntil { try await h.store.messageLog(tenant: H.tenant, messageID: wamid)?.state == "read" }
            let log = try #require(try await h.store.messageLog(tenant: H.tenant, messageID: wamid))
            // `read` scheduled the read-without-reply nudge (2 min) and cancelled the delivered one.
            try await h.waitUntil {
                let timers = try await h.store.pendingTimers(tenant: H.tenant, sessionID: log.sessionID)
                return timers.contains { $0.timer.kind == .nudge && $0.timer.index == 1 }
                    && !timers.contains { $0.timer.kind == .nudge && $0.timer.index == 0 }
            }
            await h.clock.advance(by: 3 * 60_000)
            let nudged = try await h.sends(2)
            #expect(nudged[1].shownText == "Any of the options is fine, you can change it later.")

            // The lead answers: the answer is a conversion, and the next question goes out.
            #expect(try await h.fake.postInbound(from: H.lead, text: "Implants") == 200)
            let next = try await h.sends(3)
            #expect(next[2].shownText == "When would you like to start?")
            #expect(((next[2].json?["interactive"] as? [String: Any])?["type"] as? String) == "list")
            try await h.waitUntil { try await !h.store.outbox(OutboxFilter(tenant: H.tenant, destination: "capi")).isEmpty }
            let capi = try await h.store.outbox(OutboxFilter(tenant: H.tenant, destination: "capi"))
            let events = capi.compactMap { row -> String? in
                if case .emit(let emission) = row.item.effect { return emission.event }
                return nil
            }
            #expect(events == ["QUALIFY_Q1"])

            // Every send's outbox row was delivered with the provider's id.
            try await h.waitUntil {
                try await h.store.outbox(OutboxFilter(tenant: H.tenant, destination: "channel")).allSatisfy { $0.status == .delivered }
            }
            let rows = try await h.store.outbox(OutboxFilter(tenant: H.tenant, destination: "channel"))
            #expect(Set(rows.compactMap(\.remoteID)) == Set(next.compactMap(\.wamid)))
            // Every signed webhook the fake posted (2 messages, 3 statuses per send) was accepted.
            try await h.waitUntil { await h.fake.posted().count >= 2 + 3 * 3 }
            #expect(await h.fake.posted().allSatisfy { $0.httpStatus == 200 })
        }
    }

    @Test func aFailed131047StatusSwitchesToTheNodesTemplate() async throws {
        try await H.run { h in
            await h.fake.inject(.failedStatus(code: 131047), for: H.lead)
            #expect(try await h.fake.postInbound(from: H.lead, text: "Hi") == 200)
            let sends = try await h.sends(2)
            #expect(sends[0].type == "interactive")
            #expect(sends[1].type == "template")
            #expect(sends[1].shownText == "template qualification_resume")
            let first = try #require(sends[0].wamid)
            let log = try #require(try await h.store.messageLog(tenant: H.tenant, messageID: first))
            let audit = try await h.store.auditLog(tenant: H.tenant, sessionID: log.sessionID, limit: 50)
            #expect(audit.contains { $0.type == "delivery_failed" && $0.detail.contains("131047") })
        }
    }

    @Test func aSynchronous131047AlsoSwitchesToTheTemplate() async throws {
        try await H.run { h in
            await h.fake.inject(.error(code: 131047), for: H.lead)
            #expect(try await h.fake.postInbound(from: H.lead, text: "Hi") == 200)
            let accepted = try await h.sends(1)
            #expect(accepted[0].type == "template")
            let all = await h.fake.received()
            #expect(all.map(\.type) == ["interactive", "template"])
            let dead = try await h.store.outbox(OutboxFilter(tenant: H.tenant, status: .dead, destination: "channel"))
            #expect(dead.count == 1, "the refused free-form message is not retried")
        }
    }

    @Test func technicalFailuresAreRetriedWithBackoffThenHandedToAHumanAfterTheThirdFailedDelivery() async throws {
        try await H.run { h in
            await h.fake.inject(.serverError(status: 503), for: H.lead, times: 9)
            #expect(try await h.fake.postInbound(from: H.lead, text: "Hi") == 200)
            // The dispatcher's backoff runs on the virtual clock: move it along until the handover.
            try await h.waitUntil(timeout: .seconds(40)) {
                await h.clock.advance(by: 2000)
                return try await !h.store.outbox(OutboxFilter(tenant: H.tenant, destination: "handover")).isEmpty
            }
            // 3 messages (the original and 2 resends) × 3 attempts each, none accepted.
            let received = await h.fake.received()
            #expect(received.count == 9)
            #expect(received.allSatisfy { $0.wamid == nil })
            let handover = try await h.store.outbox(OutboxFilter(tenant: H.tenant, destination: "handover"))
            guard case .handover(let detail)? = handover.first?.item.effect else {
                Issue.record("the handover row carries no handover")
                return
            }
            #expect(detail.reason.contains("Delivery failed 3 times"))
        }
    }

    @Test func anUndeliverableNumberIsMarkedAndTheManagerToldAfterTheThird() async throws {
        try await H.run { h in
            // The first refusal is synchronous, the next two arrive as failed status webhooks.
            await h.fake.inject(.error(code: 131026), for: H.lead)
            await h.fake.inject(.failedStatus(code: 131026), for: H.lead, times: 2)
            #expect(try await h.fake.postInbound(from: H.lead, text: "Hi") == 200)
            try await h.waitUntil { try await !h.store.outbox(OutboxFilter(tenant: H.tenant, destination: "handover")).isEmpty }
            #expect(await h.fake.received().count == 3)
            let lane = try #require(Phone.hash(H.lead))
            let session = try #require(try await h.store.subscriber(tenant: H.tenant, lane: lane))
            let state = try #require(try await h.store.latestSession(tenant: H.tenant, subscriberID: session.subscriberID))
            #expect(state.humanActive)
            let marks = try await h.store.auditLog(tenant: H.tenant, sessionID: state.id, limit: 100).filter { $0.type == "contact_undeliverable" }
            #expect(marks.count == 3)
            #expect(marks.allSatisfy { !$0.detail.contains(H.lead) }, "the number is never written in clear")
        }
    }
}
