import ArriwaCore
import ArriwaRuntime
import ArriwaStore
import ArriwaTestSupport
import Foundation
import Logging
import ServiceLifecycle
import Testing

/// Committed outbox rows handed from the turn worker to the dispatcher of the same process
/// (`OutboxDispatcher.handoffLease` / `adopt`), on a real SQLite file with both services running.
@Suite struct HandoffTests {
    static let quiet = Logger(label: "arriwa.handoff.tests", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A migrated SQLite store in a new temporary directory, with the demo tenant deployed.
    func store() async throws -> (SQLiteStore, Deployments) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("arriwa-handoff-\(UUID().uuidString)")
        let store = try await SQLiteStore.open(path: directory.appendingPathComponent("store.db").path, logger: Self.quiet)
        _ = try await store.migrate()
        let deployments = Deployments(store: store, logger: Self.quiet)
        try await deployments.deploy(directory: DurableHarness.demoDirectory, now: Int64(Date().timeIntervalSince1970 * 1000))
        return (store, deployments)
    }

    /// A dispatcher that claims when it starts and then not for ten minutes (an empty claim is
    /// not repeated before `idlePoll`): anything it delivers later came to it by handoff.
    func dispatcher(_ store: any Store, _ channel: RecordingChannel, concurrency: Int = 256) -> OutboxDispatcher {
        OutboxDispatcher(store: store, destinations: Destinations(channel: channel, fallback: LogSink(logger: Self.quiet)),
                         configuration: .init(owner: "handoff-dispatcher", concurrency: concurrency, leaseMillis: 600_000,
                                              idlePoll: .seconds(600)),
                         logger: Self.quiet)
    }

    func say(_ text: String, phone: String, store: any Store) async throws {
        let hash = try #require(Phone.hash(phone))
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let message = InboundMessage(id: "wamid.in.\(UUID().uuidString)", text: text, receivedAt: now,
                                     contact: Contact(subscriberID: "", phoneHash: hash, language: "en"))
        _ = try await store.appendInbox(InboxItem(tenant: DurableHarness.tenant, lane: hash, dedupeKey: message.id, kind: .message,
                                                  event: .inbound(message), receivedAt: now))
    }

    @Test("a committed turn's sends are delivered by the running dispatcher without a claim, as first attempts")
    func committedRowsAreHandedOver() async throws {
        let (store, deployments) = try await store()
        let channel = RecordingChannel()
        let dispatcher = dispatcher(store, channel)
        let worker = TurnWorker(store: store, deployments: deployments, configuration: .init(owner: "handoff-worker", idlePoll: .milliseconds(10)),
                                logger: Self.quiet, handoff: dispatcher)
        let group = ServiceGroup(configuration: .init(services: [dispatcher, worker], logger: Self.quiet))
        let running = Task { try await group.run() }
        // The dispatcher's first claim (of nothing) is made before the leads write.
        try await waitUntil { dispatcher.handoffLease(rows: 1, now: 0).map { _ in dispatcher.forgo(promised: 1); return true } ?? false }

        for n in 0..<3 { try await say("Hi", phone: "+1555000200\(n)", store: store) }
        // The dispatcher does not claim again for ten minutes (and the rows are leased to it for
        // ten): only the handoff can deliver them now.
        try await waitUntil { await channel.sent.count == 3 }
        try await waitUntil { try await store.outbox(OutboxFilter(status: .delivered, destination: "channel")).count == 3 }
        let sent = await channel.sent
        #expect(sent.allSatisfy { !$0.redelivery })
        let rows = try await store.outbox(OutboxFilter(destination: "channel"))
        #expect(rows.count == 3 && rows.allSatisfy { $0.status == .delivered && $0.attempts == 1 })

        await group.triggerGracefulShutdown()
        _ = await running.result
        try await store.shutdown()
    }

    @Test("leases are given only while the dispatcher runs and has room; a lease not used is given back")
    func leasesNeedARunningDispatcherWithRoom() async throws {
        let (store, _) = try await store()
        let dispatcher = dispatcher(store, RecordingChannel(), concurrency: 4)
        #expect(dispatcher.handoffLease(rows: 1, now: 0) == nil, "not running: no lease")

        let group = ServiceGroup(configuration: .init(services: [dispatcher], logger: Self.quiet))
        let running = Task { try await group.run() }
        try await waitUntil { dispatcher.handoffLease(rows: 1, now: 0).map { _ in dispatcher.forgo(promised: 1); return true } ?? false }

        #expect(dispatcher.handoffLease(rows: 0, now: 0) == nil, "nothing to lease")
        #expect(dispatcher.handoffLease(rows: 5, now: 0) == nil, "more rows than slots")
        let lease = try #require(dispatcher.handoffLease(rows: 3, now: 1_000))
        #expect(lease == OutboxLease(owner: "handoff-dispatcher", until: 601_000))
        #expect(dispatcher.handoffLease(rows: 2, now: 0) == nil, "three of four slots promised")
        dispatcher.forgo(promised: 3)
        #expect(dispatcher.handoffLease(rows: 4, now: 0) != nil, "given back")
        dispatcher.forgo(promised: 4)

        await group.triggerGracefulShutdown()
        _ = await running.result
        #expect(dispatcher.handoffLease(rows: 1, now: 0) == nil, "stopped: no lease")
        try await store.shutdown()
    }

    @Test("rows handed over as the dispatcher stops are still delivered before it ends")
    func handedOverRowsAreDeliveredOnShutdown() async throws {
        let (store, _) = try await store()
        let channel = RecordingChannel()
        let dispatcher = dispatcher(store, channel)
        let group = ServiceGroup(configuration: .init(services: [dispatcher], logger: Self.quiet))
        let running = Task { try await group.run() }
        try await waitUntil { dispatcher.handoffLease(rows: 1, now: 0).map { _ in dispatcher.forgo(promised: 1); return true } ?? false }

        // A turn commit made under the dispatcher's lease, its rows handed over as shutdown begins.
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let hash = try #require(Phone.hash("+15550003001"))
        let item = InboxItem(tenant: DurableHarness.tenant, lane: hash, dedupeKey: "wamid.in.shutdown", kind: .message,
                             event: .inbound(InboundMessage(id: "wamid.in.shutdown", text: "Hi", receivedAt: now,
                                                            contact: Contact(subscriberID: "", phoneHash: hash))), receivedAt: now)
        _ = try await store.appendInbox(item)
        let claim = try #require(try await store.claimLanes(owner: "W", limit: 1, perLane: 1, now: now, leaseMillis: 10_000).first)
        let lease = try #require(dispatcher.handoffLease(rows: 2, now: now))
        var commit = TurnCommit(tenant: DurableHarness.tenant, lane: hash, owner: "W", now: now, consumed: claim.entries.map(\.seq),
                                releaseLane: true, outboxLease: lease)
        for n in 1...2 {
            commit.add(effects: [.send(OutboundMessage(id: "s-\(n)", sessionID: "s", subscriberID: "sub", phoneHash: hash, origin: "test",
                                                       purpose: .flow, content: .text("Q\(n)?"), windowOpen: true, step: nil,
                                                       replaces: nil, fallbackTemplate: nil))])
        }
        let result = try await store.commitTurn(commit)
        #expect(result.leased.count == 2)
        await group.triggerGracefulShutdown()
        await dispatcher.adopt(result.leased, promised: 2)
        _ = await running.result

        #expect(await channel.sent.map(\.message.id).sorted() == ["s-1", "s-2"])
        #expect(try await store.outbox(OutboxFilter(status: .delivered)).count == 2)
        try await store.shutdown()
    }
}
