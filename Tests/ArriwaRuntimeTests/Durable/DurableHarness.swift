import ArriwaCore
import ArriwaRuntime
import ArriwaStore
import ArriwaTestSupport
import Foundation
import Testing

/// The durable services on an in-memory store and a virtual clock, driven step by step
/// (`drain`, `tick`, `dispatchOnce`) so tests are deterministic.
struct DurableHarness {
    static let tenant = "demo-clinic"
    static var demoDirectory: String { Harness.root.appendingPathComponent("flows/demo-clinic").path }

    let store: ObservedStore
    let clock: VirtualClock
    let deployments: Deployments
    let signal = WakeSignal()
    let worker: TurnWorker
    let scheduler: TimerScheduler
    let dispatcher: OutboxDispatcher
    let channel: RecordingChannel

    init(sinks: [String: any Sink] = [:], dispatcher dispatcherConfiguration: OutboxDispatcher.Configuration = .init(),
         classify: @escaping @Sendable (ClassifyRequest) async -> Classification = TurnWorker.rulesOnly,
         classificationTimeout: Duration = .seconds(20)) async throws {
        store = ObservedStore(InMemoryStore())
        clock = VirtualClock(startAt: Harness.t0)
        deployments = Deployments(store: store)
        try await deployments.deploy(directory: Self.demoDirectory, now: Harness.t0)
        let counter = Counter()
        worker = TurnWorker(store: store, deployments: deployments,
                            configuration: .init(owner: "worker-test", classificationTimeout: classificationTimeout, classify: classify,
                                                 newSubscriberID: { "sub-\(counter.next())" }),
                            clock: clock, signal: signal)
        scheduler = TimerScheduler(store: store, clock: clock, workers: signal)
        channel = RecordingChannel()
        dispatcher = OutboxDispatcher(store: store, destinations: Destinations(channel: channel, sinks: sinks),
                                      configuration: dispatcherConfiguration, clock: clock)
    }

    /// Appends a lead's message as the webhook would.
    @discardableResult
    func say(_ text: String, phone: String = "+15550001006", id: String? = nil, replyID: String? = nil,
             replyTitle: String? = nil) async throws -> InboxAppendResult {
        let now = await clock.now()
        let hash = try #require(Phone.hash(phone))
        let message = InboundMessage(id: id ?? "wamid.in.\(UUID().uuidString)", kind: replyID == nil ? .text : .button, text: text,
                                     replyID: replyID, replyTitle: replyTitle, receivedAt: now,
                                     contact: Contact(subscriberID: "", phoneHash: hash, language: "en"))
        return try await store.appendInbox(InboxItem(tenant: Self.tenant, lane: hash, dedupeKey: message.id, kind: .message,
                                                     event: .inbound(message), receivedAt: now))
    }

    /// Appends a delivery status for a provider message id (lane looked up as the webhook does).
    func status(_ providerID: String, _ state: DeliveryStatus.State) async throws {
        let now = await clock.now()
        let log = try #require(try await store.messageLog(tenant: Self.tenant, messageID: providerID))
        _ = try await store.appendInbox(InboxItem(tenant: Self.tenant, lane: log.lane, dedupeKey: "status:\(providerID):\(state.rawValue)",
                                                  kind: .status, event: .status(DeliveryStatus(messageID: providerID, state: state, at: now)),
                                                  receivedAt: now))
    }

    /// Runs the workers until the inbox is empty, then delivers the outbox.
    func settle() async throws {
        await worker.drain()
        while try await dispatcher.dispatchOnce() > 0 {}
    }

    func sent() async -> [RecordingChannel.Sent] { await channel.sent }

    func session(phone: String = "+15550001006") async throws -> SessionState? {
        let hash = try #require(Phone.hash(phone))
        guard let subscriber = try await store.subscriber(tenant: Self.tenant, lane: hash) else { return nil }
        return try await store.latestSession(tenant: Self.tenant, subscriberID: subscriber.subscriberID)
    }
}
