import ArriwaCore
import ArriwaStore
import ArriwaTestSupport
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The durability promise, tested the hard way: `arriwa serve` runs as a child process under a
/// load of conversations and is killed with SIGKILL at random moments at least 20 times, then
/// restarted each time. Leads keep writing while it is down (a provider redelivers until it gets
/// a 200). Afterwards, from the database and the fake sink:
/// - every inbound message was applied exactly once (each qualifying lead has exactly the five
///   bot messages of the funnel — an extra application would re-ask a question — and its
///   QUALIFY_Q1..Q4 + QUALIFY_COMPLETE once each), nothing is left pending or failed;
/// - no idempotency key reached the fake sink twice except redeliveries marked as such;
/// - the real CAPI sink (against a fake Meta Graph API; every lead came from a click-to-WhatsApp
///   ad): every mapped funnel event reached Meta with the lead's ctwa_clid, and no event id
///   ever reached it twice — a row whose delivering process was killed mid-request is refused as
///   "in doubt" (a dead letter for an operator), never resent;
/// - no timer was lost: silent leads get the step timeout, then the abandoned reminder, exactly once;
/// - every session finished its funnel.
@Suite("Crash recovery", .serialized)
struct CrashRecoveryTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let secret = "crash-secret"
    static let logger = Logger(label: "arriwa.crash", factory: { _ in SwiftLogNoOpLogHandler() })

    enum Database: String, CaseIterable, CustomTestStringConvertible {
        case sqlite, postgres
        var testDescription: String { rawValue }
    }

    @Test("kill -9 twenty times under load: nothing lost, nothing applied twice", arguments: Database.allCases)
    func killNineUnderLoad(_ database: Database) async throws {
        guard let binary = ServeProcess.locateBinary() else {
            Issue.record("the arriwa executable is not built: run `swift build` before `swift test`")
            return
        }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("arriwa-crash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let tenantDirectory = try Self.crashTenant(in: work)
        let databaseURL = try await Self.databaseURL(database, work: work)

        let sink = try await FakeWebhookReceiver.start()
        let meta = try await FakeMetaGraphServer.start(token: "crash-meta-token")
        let port = ServeProcess.freePort()
        let serve = ServeProcess(
            binary: binary,
            arguments: ["serve", "--database-url", databaseURL, "--host", "127.0.0.1", "--port", "\(port)", "--deploy", tenantDirectory,
                        "--workers", "4", "--log-level", "warning"],
            environment: ["ARRIWA_TENANT_SECRET_DEMO_CLINIC": Self.secret, "ARRIWA_WEBHOOK_SINK_URL": sink.url,
                          "ARRIWA_WEBHOOK_SINK_SECRET": "sink-secret", "ARRIWA_WEBHOOK_SINK_DESTINATIONS": "crm,audiences",
                          "ARRIWA_SINKS": "capi", "DEMO_CLINIC_GRAPH_URL": meta.baseURL, "DEMO_CLINIC_CAPI_TOKEN": "crash-meta-token"],
            port: port, log: work.appendingPathComponent("serve.log"))
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            try await run(serve: serve, sink: sink, meta: meta, client: client, databaseURL: databaseURL)
        } catch {
            Issue.record("\(error)\n--- serve log (tail) ---\n\(serve.tail())")
        }
        _ = serve.stop()
        try await client.shutdown()
        await sink.shutdown()
        await meta.shutdown()
    }

    static let qualifying = 16
    static let silent = 4
    static let kills = 20

    func run(serve: ServeProcess, sink: FakeWebhookReceiver, meta: FakeMetaGraphServer, client: HTTPClient, databaseURL: String) async throws {
        try serve.start()
        try await waitHealthy(serve, client: client)

        // Leads write while a killer restarts the server at random moments.
        let driving = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for lead in 0..<(Self.qualifying + Self.silent) {
                    group.addTask {
                        let steps = lead < Self.qualifying ? Self.funnel : Array(Self.funnel.prefix(1))
                        for (k, step) in steps.enumerated() {
                            try await Task.sleep(for: .milliseconds(Int.random(in: 0...400)))
                            var message = step.json(id: "wamid.crash.\(lead).\(k)", phone: Self.phone(lead))
                            if k == 0 {
                                message["referral"] = ["ctwa_clid": "CLID-CRASH-\(lead)", "source_type": "ad", "source_id": "120210000000001"]
                            }
                            try await post(client: client, port: serve.port, message: message)
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        var kills = 0
        while kills < Self.kills {
            try await Task.sleep(for: .milliseconds(Int.random(in: 150...700)))
            serve.crash()
            kills += 1
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...200)))
            try serve.start()
            try await waitHealthy(serve, client: client)
        }
        try await driving.value
        #expect(serve.starts == Self.kills + 1)

        // Let the funnel finish: answers, step timeouts (4 s each in this tenant), reminders, deliveries.
        let store = try await StoreURL.open(try StoreURL(databaseURL), logger: Self.logger)
        defer { Task { try? await store.shutdown() } }
        let deadline = ContinuousClock.now + .seconds(90)
        var report = try await Self.inspect(store)
        while !report.settled && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(500))
            report = try await Self.inspect(store)
        }
        #expect(serve.stop() == 0, "serve exits cleanly on SIGTERM")
        report = try await Self.inspect(store)

        #expect(report.pendingInbox == 0, "inbox entries left pending")
        // Dead letters only where they belong: a CAPI row whose delivering process was killed
        // mid-request is refused "in doubt" (Meta does not deduplicate) for an operator to check.
        let dead = try await store.outbox(OutboxFilter(tenant: "demo-clinic", status: .dead, limit: 1_000_000))
        #expect(report.outboxCounts[.pending, default: 0] == 0, "outbox not drained: \(report.outboxCounts)")
        for row in dead {
            #expect(row.item.destination == "capi" && row.lastError?.contains("in doubt:") == true,
                    "dead letter \(row.item.destination)/\(row.item.key): \(row.lastError ?? "-")")
        }
        for lead in 0..<(Self.qualifying + Self.silent) {
            let phoneHash = try #require(Phone.hash(Self.phone(lead)))
            let subscriber = try #require(try await store.subscriber(tenant: "demo-clinic", lane: phoneHash), "lead \(lead) has no subscriber")
            let state = try #require(try await store.latestSession(tenant: "demo-clinic", subscriberID: subscriber.subscriberID))
            let sends = report.sends[state.id] ?? []
            if lead < Self.qualifying {
                #expect(state.status == .ended && state.outcome == "qualified", "lead \(lead): \(state.status) \(state.outcome ?? "-")")
                #expect(sends.count == 5, "lead \(lead): \(sends.count) bot messages, want exactly 5 (one per inbound message): \(sends)")
                let events = try await store.eventLog(tenant: "demo-clinic", sessionID: state.id, limit: 100).map(\.event).filter { $0.hasPrefix("QUALIFY_") }
                #expect(events == ["QUALIFY_Q1", "QUALIFY_Q2", "QUALIFY_Q3", "QUALIFY_Q4", "QUALIFY_COMPLETE"], "lead \(lead): \(events)")
            } else {
                #expect(sends == ["qualification/ask", "qualification/abandoned"], "silent lead \(lead): the timeout chain fired \(sends)")
                #expect(state.status == .waiting, "silent lead \(lead) waits for a return")
            }
            #expect(state.turn >= (lead < Self.qualifying ? 5 : 3), "lead \(lead): \(state.turn) turns")
        }

        // The sink: every delivered emission arrived; a key twice only as a marked redelivery.
        var seen: [String: Int] = [:]
        for received in await sink.received() {
            guard let object = try JSONSerialization.jsonObject(with: received.body) as? [String: Any],
                  let destination = object["destination"] as? String, let key = object["key"] as? String else {
                Issue.record("the sink got a body that is not a webhook payload")
                continue
            }
            let id = "\(destination)/\(key)"
            seen[id, default: 0] += 1
            if seen[id, default: 0] > 1 {
                #expect(object["redelivery"] as? Bool == true && received.headers["x-arriwa-redelivery"] == "true",
                        "\(id) reached the sink twice without being marked a redelivery")
            }
        }
        let emitted = try await store.outbox(OutboxFilter(tenant: "demo-clinic", limit: 1_000_000))
            .filter { !["channel", "handover", "capi"].contains($0.item.destination) }
        for row in emitted {
            #expect(seen["\(row.item.destination)/\(row.item.key)", default: 0] >= 1, "\(row.item.destination)/\(row.item.key) never reached the sink")
        }
        #expect(emitted.count >= Self.qualifying * 5, "\(emitted.count) emissions")
        try await Self.checkCAPI(meta: meta, store: store)
    }

    /// Meta got every event the tenant maps (QUALIFY_Q1 → LeadSubmitted, QUALIFY_COMPLETE →
    /// QualifiedLead) with the lead's click, the others were skipped, and an event id arrived twice
    /// only for a row whose delivering process was killed after sending (at most one per kill).
    static func checkCAPI(meta: FakeMetaGraphServer, store: any Store) async throws {
        var received: [String: [RecordedJSON]] = [:]
        for event in await meta.events() {
            received[event.eventID ?? "?", default: []].append(event.event)
        }
        let rows = try await store.outbox(OutboxFilter(tenant: "demo-clinic", destination: "capi", limit: 1_000_000))
        var repeated = 0
        for row in rows {
            guard case .emit(let emission) = row.item.effect else { continue }
            let copies = received[row.item.key] ?? []
            switch emission.event {
            case "QUALIFY_Q1", "QUALIFY_COMPLETE":
                // Once — or, for a row whose delivering process was killed mid-request, at most once
                // and then refused as in doubt.
                let inDoubt = row.status == .dead && row.lastError?.contains("in doubt:") == true
                #expect(copies.count == 1 || (inDoubt && copies.isEmpty), "\(row.item.key) reached Meta \(copies.count) times")
                #expect(copies.allSatisfy { $0["user_data"]?["ctwa_clid"]?.string == emission.attribution["ctwa_clid"] && emission.attribution["ctwa_clid"] != nil },
                        "\(row.item.key) lost its click")
                if copies.count > 1 { repeated += 1 }
            default:
                #expect(copies.isEmpty, "\(emission.event) is mapped to none and must not reach Meta")
                #expect(row.remoteID?.hasPrefix("skipped:") == true)
            }
        }
        #expect(rows.filter { if case .emit(let e) = $0.item.effect { e.event == "QUALIFY_COMPLETE" } else { false } }.count == qualifying)
        #expect(repeated == 0, "\(repeated) event ids reached Meta twice")
        #expect(Set(received.keys).isSubset(of: Set(rows.map(\.item.key))), "Meta got an event id the outbox never had")
    }

    struct Report {
        var pendingInbox: Int
        var outboxCounts: [OutboxStatus: Int]
        /// Bot messages per session: the origin node of each send, in order.
        var sends: [String: [String]]
        var settled: Bool
    }

    static func inspect(_ store: any Store) async throws -> Report {
        let rows = try await store.outbox(OutboxFilter(tenant: "demo-clinic", destination: "channel", limit: 1_000_000))
        var sends: [String: [String]] = [:]
        for row in rows {
            guard case .send(let message) = row.item.effect else { continue }
            sends[row.item.sessionID, default: []].append(message.origin)
        }
        let pending = try await store.pendingInboxCount()
        let counts = try await store.outboxCounts(tenant: "demo-clinic")
        let abandoned = sends.values.filter { $0.last == "qualification/abandoned" }.count
        let complete = sends.values.filter { $0.count >= 5 }.count
        let settled = pending == 0 && counts[.pending, default: 0] == 0 && abandoned >= silent && complete >= qualifying
        return Report(pendingInbox: pending, outboxCounts: counts, sends: sends, settled: settled)
    }

    // MARK: The load

    struct Step {
        var type: String
        var text: String?
        var reply: (id: String, title: String)?

        func json(id: String, phone: String) -> [String: Any] {
            var message: [String: Any] = ["id": id, "from": phone, "type": type, "language": "en", "profile_name": "Lead"]
            if let text { message["text"] = text }
            if let reply { message["reply"] = ["id": reply.id, "title": reply.title] }
            return message
        }
    }

    /// funnel-5 on the demo clinic: "Hi", then valid answers to Q1..Q4.
    static let funnel: [Step] = [
        Step(type: "text", text: "Hi"),
        Step(type: "button", reply: ("implants", "Implants")),
        Step(type: "list", reply: ("this_month", "This month")),
        Step(type: "text", text: "2000"),
        Step(type: "text", text: "Moscow"),
    ]

    static func phone(_ lead: Int) -> String { "+7999555\(String(format: "%04d", lead))" }

    /// Posts until the server takes it (a 200, "queued" or "duplicate"), as a provider redelivers.
    func post(client: HTTPClient, port: Int, message: [String: Any]) async throws {
        let body = try JSONSerialization.data(withJSONObject: ["messages": [message]])
        for _ in 0..<600 {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/tenants/demo-clinic/inbound")
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(Self.secret)")
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
            if let response = try? await client.execute(request, timeout: .seconds(5)), response.status == .ok { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw CrashTestError("message \(message["id"] ?? "?") was never accepted")
    }

    func waitHealthy(_ serve: ServeProcess, client: HTTPClient) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let request = HTTPClientRequest(url: "http://127.0.0.1:\(serve.port)/readyz")
            if let response = try? await client.execute(request, timeout: .seconds(2)), response.status == .ok { return }
            guard serve.isRunning else { throw CrashTestError("serve exited while starting") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw CrashTestError("serve did not become ready within 60 s")
    }

    // MARK: Setup

    /// The demo clinic with 4-second step timeouts, so the timeout → abandoned chain runs in seconds.
    static func crashTenant(in work: URL) throws -> String {
        let source = root.appendingPathComponent("flows/demo-clinic")
        let target = work.appendingPathComponent("demo-clinic")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: source.path) where name.hasSuffix(".yaml") {
            var text = try String(contentsOf: source.appendingPathComponent(name), encoding: .utf8)
            if name == "qualification.flow.yaml" {
                text = text.replacingOccurrences(of: "timeout: 30m", with: "timeout: 4s")
            }
            try text.write(to: target.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return target.path
    }

    static func databaseURL(_ database: Database, work: URL) async throws -> String {
        switch database {
        case .sqlite:
            return "sqlite:" + work.appendingPathComponent("crash.db").path
        case .postgres:
            let admin = try await PostgresTestServer.adminURL()
            let name = PostgresTestServer.freshDatabaseName()
            try await PostgresAdmin.createDatabase(name, adminURL: admin, logger: logger)
            return try PostgresAdmin.url(admin, database: name)
        }
    }
}

struct CrashTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
