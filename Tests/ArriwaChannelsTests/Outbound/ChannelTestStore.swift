import ArriwaCore
import ArriwaStore
import Foundation
import Logging
import Testing

/// A real SQLite store in a temporary directory, removed afterwards.
struct ChannelTestStore {
    let store: any Store
    let directory: URL

    static func open() async throws -> ChannelTestStore {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("arriwa-channels-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var logger = Logger(label: "arriwa.test")
        logger.logLevel = .critical
        let store = try await StoreURL.open(try StoreURL("sqlite:\(directory.path)/test.db"), logger: logger)
        _ = try await store.migrate()
        return ChannelTestStore(store: store, directory: directory)
    }

    func close() async {
        try? await store.shutdown()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Commits a turn that sends `message` (outbox row + message log), as a worker would.
    func commitSend(_ message: OutboundMessage, tenant: String) async throws {
        let trigger = InboundMessage(id: "in-\(message.id)", text: "hi", receivedAt: 0,
                                     contact: Contact(subscriberID: message.subscriberID, phoneHash: message.phoneHash))
        _ = try await store.appendInbox(InboxItem(tenant: tenant, lane: message.phoneHash, dedupeKey: "in-\(message.id)", kind: .message,
                                                  event: .inbound(trigger), receivedAt: 0))
        let claim = try #require(try await store.claimLanes(owner: "seed", limit: 1, perLane: 1, now: 1, leaseMillis: 60_000).first)
        var commit = TurnCommit(tenant: tenant, lane: claim.lane, owner: "seed", now: 2, consumed: claim.entries.map(\.seq),
                                releaseLane: true)
        commit.add(effects: [.send(message)])
        _ = try await store.commitTurn(commit)
    }
}
