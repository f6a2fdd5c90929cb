import ArriwaCore
import ArriwaRuntime
import ArriwaStore
import Foundation
import Testing

/// The demo funnel over real HTTP: webhook → inbox → worker → outbox → channel and sinks.
@Suite struct InboundWebhookTests {
    @Test func theDemoFunnelQualifiesALeadEndToEnd() async throws {
        try await ServerHarness.run { h in
            let first = try await h.post("""
            {"messages": [{"id": "wamid.e2e.1", "from": "+7 999 123-45-67", "text": "Hi! I saw your ad about implants",
              "timestamp": "\(SystemClock.nowMillis() / 1000)", "profile_name": "Anna", "language": "en",
              "referral": {"ctwa_clid": "ARAkLkA8rmlFeiCkt", "source_id": "120210000000001", "source_type": "ad",
                           "source_url": "https://fb.me/2ZulEu42P?utm_source=facebook&utm_campaign=implants_spring"}}]}
            """)
            #expect(first.status == 200)
            #expect(first.json["status"] as? String == "queued")
            var sent = try await h.waitForSends(1)
            #expect(sent[0].message.content.body == "Hi! Which treatment are you interested in?")
            let implants = try #require(sent[0].message.content.choices.first { $0.title == "Implants" })

            let tap = try await h.post("""
            {"messages": [{"id": "wamid.e2e.2", "from": "+79991234567", "type": "button", "reply": {"id": "\(implants.id)", "title": "Implants"}}]}
            """)
            #expect(tap.status == 200)
            sent = try await h.waitForSends(2)
            #expect(sent[1].message.content.body == "When would you like to start?")

            for (index, text) in ["This month", "about 3k", "Moscow, Khamovniki"].enumerated() {
                let reply = try await h.post(ServerHarness.message(id: "wamid.e2e.\(index + 3)", text: text))
                #expect(reply.status == 200)
                sent = try await h.waitForSends(index + 3)
            }
            sent = try await h.waitForSends(5)
            #expect(sent.last?.message.content.body.contains("A coordinator will message you within one working hour") == true)

            let session = try #require(try await h.session())
            #expect(session.status == .ended)
            #expect(session.outcome == "qualified")
            #expect(session.entry == "ctwa")
            #expect(session.attribution["ctwa_clid"] == "ARAkLkA8rmlFeiCkt")
            #expect(session.answers["Q1"] == "implants")

            let events = try await h.store.eventLog(tenant: ServerHarness.tenant, sessionID: session.id, limit: 100).map(\.event)
            for name in ["QUALIFY_Q1", "QUALIFY_Q2", "QUALIFY_Q3", "QUALIFY_Q4", "QUALIFY_COMPLETE"] {
                #expect(events.contains(name), "\(name) emitted")
            }
            // Every emission reaches its sinks (log sinks here): the outbox drains to delivered.
            try await h.waitUntil {
                let pending = try await h.store.outbox(OutboxFilter(tenant: ServerHarness.tenant, status: .pending))
                return pending.isEmpty
            }
            let capi = try await h.store.outbox(OutboxFilter(tenant: ServerHarness.tenant, destination: "capi"))
            #expect(capi.contains { row in
                if case .emit(let emission) = row.item.effect { return emission.event == "QUALIFY_COMPLETE" && row.status == .delivered }
                return false
            })
            #expect(try await h.store.outbox(OutboxFilter(status: .dead)).isEmpty)

            // The questions the lead answered are `replied` in the message log; a late status of
            // one of them does not move it back.
            #expect(try await h.store.messageLog(tenant: ServerHarness.tenant, messageID: sent[0].message.id)?.state == "replied")
            // Delivery statuses from the webhook reach the message log (the last message, not answered;
            // its lane's entries run in order, so the first status was applied before it).
            let last = try #require(sent.last)
            let status = try await h.post("""
            {"statuses": [{"id": "\(sent[0].wamid)", "status": "read", "timestamp": 1772442005},
                          {"id": "\(last.wamid)", "status": "read", "timestamp": 1772442005}]}
            """)
            #expect(status.status == 200)
            #expect(status.json["status"] as? String == "queued")
            try await h.waitUntil {
                try await h.store.messageLog(tenant: ServerHarness.tenant, messageID: last.message.id)?.state == "read"
            }
            #expect(try await h.store.messageLog(tenant: ServerHarness.tenant, messageID: sent[0].message.id)?.state == "replied")
        }
    }

    @Test func aDuplicateProviderMessageIdIsAppliedOnce() async throws {
        try await ServerHarness.run { h in
            let body = ServerHarness.message(id: "wamid.dup.1", text: "Hi")
            let first = try await h.post(body)
            let second = try await h.post(body)
            #expect(first.json["status"] as? String == "queued")
            #expect(second.status == 200)
            #expect(second.json["status"] as? String == "duplicate")
            _ = try await h.waitForSends(1)
            try await Task.sleep(for: .milliseconds(200))
            #expect(await h.channel.sent.count == 1)
            #expect(try await h.store.pendingInboxCount() == 0)
            #expect(await h.store.leases.commitAttempts.count == 1, "one turn committed")
        }
    }

    @Test func aWrongOrMissingSecretIs401() async throws {
        try await ServerHarness.run { h in
            let body = ServerHarness.message(id: "wamid.auth.1", text: "Hi")
            #expect(try await h.post(body, secret: "wrong").status == 401)
            #expect(try await h.post(body, secret: nil).status == 401)
            let viaHeader = try await h.request(.POST, h.inboundURL, body: body, headers: [("X-Arriwa-Secret", ServerHarness.secret)])
            #expect(viaHeader.status == 200)
            #expect(try await h.store.pendingInboxCount() <= 1)
        }
    }

    @Test func anOversizedBodyIs413() async throws {
        try await ServerHarness.run { h in
            let big = String(repeating: "a", count: 300 * 1024)
            let reply = try await h.post(ServerHarness.message(id: "wamid.big", text: big))
            #expect(reply.status == 413)
            #expect(try await h.store.pendingInboxCount() == 0)
        }
    }

    @Test func malformedBodiesAre400NamingTheField() async throws {
        try await ServerHarness.run { h in
            let cases: [(String, String)] = [
                (#"{"messages": [{"id": "wamid.x", "text": "Hi"}]}"#, "messages[0].from"),
                (#"{"messages": [{"id": "wamid.x", "from": "hello", "text": "Hi"}]}"#, "messages[0].from"),
                (#"{"messages": [{"id": 12, "from": "+79991234567", "text": "Hi"}]}"#, "messages[0].id"),
                (#"{"messages": [{"id": "wamid.x", "from": "+79991234567", "type": "fax", "text": "Hi"}]}"#, "messages[0].type"),
                (#"{"messages": [{"id": "wamid.x", "from": "+79991234567", "type": "button"}]}"#, "messages[0].reply"),
                (#"{"statuses": [{"id": "wamid.x", "status": "seen"}]}"#, "statuses[0].status"),
                (#"{"statuses": [{"id": "wamid.x", "status": "read", "timestamp": "soon"}]}"#, "statuses[0].timestamp"),
                (#"{}"#, "messages"),
                (#"not json"#, "body"),
            ]
            for (body, field) in cases {
                let reply = try await h.post(body)
                #expect(reply.status == 400, "\(body)")
                #expect(reply.json["field"] as? String == field, "\(body) → \(reply.body)")
                #expect((reply.json["error"] as? String)?.isEmpty == false)
            }
            #expect(try await h.store.pendingInboxCount() == 0)
        }
    }

    @Test func anUnknownTenantIs404() async throws {
        try await ServerHarness.run { h in
            let reply = try await h.post(ServerHarness.message(id: "wamid.404", text: "Hi"), secret: "other-secret",
                                         url: "\(h.base)/v1/tenants/nobody-deployed/inbound")
            #expect(reply.status == 404)
        }
    }
}
