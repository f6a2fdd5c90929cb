import ArriwaCore
import ArriwaTestSupport
import Foundation
import Testing
@testable import ArriwaStore

/// The SQL stores remember the events they appended and the effects they queued by their stored
/// text (`DocumentMemo`), so claiming them again in the same process skips the JSON decode. That is
/// only sound if a remembered value is exactly what decoding its text gives.
@Suite("Document memo")
struct DocumentMemoTests {
    @Test("events and effects decode back equal to the values they were encoded from, so a remembered value is the decoded one")
    func roundTrips() throws {
        let state = Sample.session(1)
        let events: [EngineEvent] = [Sample.message(1, id: "wamid.1", text: "Здравствуйте 🦷 \"quoted\"\n"),
                                     .timer(TimerFired(Sample.timer(state, due: 5_000)))]
        for event in events {
            #expect(try StoreJSON.decode(EngineEvent.self, from: StoreJSON.encode(event, what: "event"), table: "inbox", key: "k") == event)
        }
        let effects = [Sample.send("m-1", session: state), Sample.emit("k-1", session: state)]
        for effect in effects {
            #expect(try StoreJSON.decode(Effect.self, from: StoreJSON.encode(effect, what: "effect"), table: "outbox", key: "k") == effect)
        }
    }

    @Test("a memo answers only texts it was given, and a full memo starts over")
    func capacity() {
        var memo = DocumentMemo<Int>(capacity: 2)
        memo.remember("a", 1)
        memo.remember("b", 2)
        #expect(memo.value("a") == 1 && memo.value("b") == 2 && memo.value("c") == nil)
        memo.remember("b", 3)  // a known text: no eviction
        #expect(memo.value("a") == 1 && memo.value("b") == 3)
        memo.remember("c", 4)  // full: starts over with c
        #expect(memo.value("a") == nil && memo.value("b") == nil && memo.value("c") == 4)
    }

    /// Two stores on one database: `writer` appends and queues (and remembers), `other` never saw them.
    private func twoStores(_ kind: StoreFixture) async throws -> (writer: any Store, other: any Store) {
        switch kind {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("arriwa-memo-\(UUID().uuidString)")
            let path = directory.appendingPathComponent("store.db").path
            let writer = try await SQLiteStore.open(path: path, logger: StoreFixture.logger)
            _ = try await writer.migrate()
            return (writer, try await SQLiteStore.open(path: path, logger: StoreFixture.logger))
        default:
            let admin = try await PostgresTestServer.adminURL()
            let name = PostgresTestServer.freshDatabaseName()
            try await PostgresAdmin.createDatabase(name, adminURL: admin, logger: StoreFixture.logger)
            let url = try PostgresAdmin.url(admin, database: name)
            let writer = try await PostgresStore.open(url: url, configuration: PostgresStore.Configuration(maximumConnections: 4, afterShutdown: {
                try? await PostgresAdmin.dropDatabase(name, adminURL: admin, logger: StoreFixture.logger)
            }), logger: StoreFixture.logger)
            _ = try await writer.migrate()
            return (writer, try await PostgresStore.open(url: url, configuration: PostgresStore.Configuration(maximumConnections: 4),
                                                         logger: StoreFixture.logger))
        }
    }

    @Test("entries and effects read the same whether the claiming store wrote them (remembered) or not (decoded)",
          arguments: [StoreFixture.sqlite, .postgres])
    func sameEitherWay(_ kind: StoreFixture) async throws {
        let (writer, other) = try await twoStores(kind)
        defer { Task { try? await other.shutdown(); try? await writer.shutdown() } }
        let items = [Sample.item(1, id: "wamid.a"), Sample.item(2, id: "wamid.b")]
        for item in items { _ = try await writer.appendInbox(item) }
        let decoded = try #require(try await other.claimLanes(owner: "other", limit: 1, perLane: 1, now: 10, leaseMillis: 10_000).first)
        let remembered = try #require(try await writer.claimLanes(owner: "writer", limit: 1, perLane: 1, now: 10, leaseMillis: 10_000).first)
        #expect(Set([decoded.lane, remembered.lane]) == ["hash-1", "hash-2"])
        for claim in [decoded, remembered] {
            #expect(claim.entries.map(\.item) == items.filter { $0.lane == claim.lane })
        }
        // One emission to two sinks: two rows of one text, one claimed by each store.
        let state = Sample.session(1)
        let emission = Sample.emit("k-1", session: state, sinks: ["capi", "crm"])
        let claim = remembered.lane == "hash-1" ? remembered : decoded
        let owner = claim == remembered ? "writer" : "other"
        var commit = TurnCommit(tenant: Sample.tenant, lane: "hash-1", owner: owner, now: 20, consumed: claim.entries.map(\.seq), session: state)
        commit.add(effects: [emission])
        _ = try await writer.commitTurn(commit)
        let fromOther = try await other.claimOutbox(owner: "D2", limit: 1, now: 30, leaseMillis: 10_000)
        let fromWriter = try await writer.claimOutbox(owner: "D1", limit: 1, now: 30, leaseMillis: 10_000)
        #expect(fromOther.count == 1 && fromWriter.count == 1)
        #expect(Set((fromOther + fromWriter).map(\.item.destination)) == ["capi", "crm"])
        #expect((fromOther + fromWriter).allSatisfy { $0.item.effect == emission })
    }
}
