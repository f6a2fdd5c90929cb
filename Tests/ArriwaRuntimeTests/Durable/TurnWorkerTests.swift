import ArriwaCore
import ArriwaRuntime
import ArriwaStore
import ArriwaTestSupport
import Foundation
import Testing

@Suite struct TurnWorkerTests {
    static let script = ["Hi", "Implants", "This month", "about 3k"]

    @Test func twoWorkerServicesNeverShareALaneAndApplyEveryMessageOnce() async throws {
        let store = ObservedStore(InMemoryStore(), commitDelay: .milliseconds(2))
        let deployments = Deployments(store: store)
        try await deployments.deploy(directory: DurableHarness.demoDirectory, now: SystemClock.nowMillis())
        let leads = 24
        let workers = ["A", "B"].map { name in
            TurnWorker(store: store, deployments: deployments,
                       // One entry per claim: a lane changes hands between messages, the hardest case for order.
                       configuration: .init(owner: "worker-\(name)", concurrency: 2, entriesPerLane: 1, idlePoll: .milliseconds(5)))
        }
        let runs = workers.map { worker in Task { try await worker.run() } }
        let started = ContinuousClock.now + .seconds(30)
        while await store.leases.pollers.count < 4, ContinuousClock.now < started {
            try await Task.sleep(for: .milliseconds(5))
        }
        let phones = (0..<leads).map { "+1555010\(String(format: "%04d", $0))" }
        // Both workers are polling before the messages arrive: they compete for the same lanes.
        for (round, text) in Self.script.enumerated() {
            for phone in phones {
                let hash = try #require(Phone.hash(phone))
                let now = SystemClock.nowMillis()
                let message = InboundMessage(id: "wamid.\(phone).\(round)", text: text, receivedAt: now,
                                             contact: Contact(subscriberID: "", phoneHash: hash, language: "en"))
                _ = try await store.appendInbox(InboxItem(tenant: DurableHarness.tenant, lane: hash, dedupeKey: message.id,
                                                          kind: .message, event: .inbound(message), receivedAt: now))
            }
            for worker in workers { await worker.wake() }
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while try await store.pendingInboxCount() > 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        for run in runs { run.cancel() }
        for run in runs { _ = await run.result }

        #expect(try await store.pendingInboxCount() == 0)
        #expect(await store.leases.overlaps == [], "a lane was held by two workers at once")
        let owners = await store.leases.owners
        #expect(owners.contains { $0.hasPrefix("worker-A") } && owners.contains { $0.hasPrefix("worker-B") }, "both workers took part")
        for phone in phones {
            let hash = try #require(Phone.hash(phone))
            let subscriber = try #require(try await store.subscriber(tenant: DurableHarness.tenant, lane: hash))
            let session = try #require(try await store.latestSession(tenant: DurableHarness.tenant, subscriberID: subscriber.subscriberID))
            #expect(session.answers == ["Q1": "implants", "Q2": "this_month", "Q3": "from_1k_to_5k"], "in order, once: \(phone)")
            let sends = try await store.outbox(OutboxFilter(destination: OutboxDestination.channel, limit: 10_000))
                .filter { $0.item.sessionID == session.id }
            #expect(sends.count == 4, "one question per message, none twice")
        }
        let events = try await store.eventLog(tenant: DurableHarness.tenant, sessionID: nil, limit: 10_000)
        #expect(events.filter { $0.event == "QUALIFY_Q1" }.count == leads)
    }

    @Test func aDuplicateProviderMessageIsAppliedOnce() async throws {
        let h = try await DurableHarness()
        #expect(try await h.say("Hi", id: "wamid.same") != .duplicate)
        #expect(try await h.say("Hi", id: "wamid.same") == .duplicate)
        try await h.settle()
        #expect(await h.sent().count == 1)
    }

    @Test func aPoisonEntryIsFailedAfterMaxAttemptsAndDoesNotBlockItsLane() async throws {
        let h = try await DurableHarness()
        let hash = try #require(Phone.hash("+15550009999"))
        func append(_ id: String) async throws {
            let now = await h.clock.now()
            let message = InboundMessage(id: id, text: "Hi", receivedAt: now, contact: Contact(subscriberID: "", phoneHash: hash))
            _ = try await h.store.appendInbox(InboxItem(tenant: "ghost", lane: hash, dedupeKey: message.id, kind: .message,
                                                        event: .inbound(message), receivedAt: now))
        }
        // Tenant "ghost" has no deployed version: every attempt fails (not a store conflict).
        try await append("wamid.poison")
        await h.worker.drain()
        #expect(try await h.store.pendingInboxCount() == 0, "failed, no longer pending")
        #expect(await h.store.leases.claims == 5, "tried maxAttempts (5) times")

        // Once the tenant is deployed the same lane goes on with the next message.
        let demo = try #require(try await h.store.activeFlowVersion(tenant: DurableHarness.tenant))
        var ghost = demo
        ghost.tenant = "ghost"
        try await h.store.saveFlowVersion(ghost)
        try await append("wamid.next")
        await h.worker.drain()
        #expect(try await h.store.pendingInboxCount() == 0)
        try await h.settle()
        #expect(await h.sent().count == 1)
    }

    @Test func deploymentsPinSessionsToTheirVersion() async throws {
        let h = try await DurableHarness()
        try await h.say("Hi")
        try await h.settle()
        let session = try #require(try await h.session())
        let active = try #require(try await h.store.activeFlowVersion(tenant: DurableHarness.tenant))
        #expect(session.flowVersion == active.version)
        let engine = try await h.deployments.engine(tenant: DurableHarness.tenant, version: active.version)
        #expect(engine.program.version == active.version)
        #expect(try active.compile().version == active.version, "stored files compile to the stored version")
    }

    @Test func deployingAnInvalidTenantIsRefusedWithDiagnostics() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("arriwa-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "tenant: bad\nentry_flow: missing\nlanguages: [en]\n".write(to: dir.appendingPathComponent("tenant.yaml"), atomically: true, encoding: .utf8)
        let deployments = Deployments(store: InMemoryStore())
        do {
            try await deployments.deploy(directory: dir.path, now: 0)
            Issue.record("deployed an invalid tenant")
        } catch let error as DeploymentError {
            #expect(error.code == .invalid)
            #expect(!error.diagnostics.isEmpty)
        }
    }
}
