import ArriwaCore
@testable import ArriwaStore
import Foundation
import Testing

/// SQLite's second, read-only connection takes what needs no write off the single writing one.
@Suite("SQLite reading connection")
struct SQLiteReaderTests {
    @Test("a claim that finds every pending lane leased answers from the reading connection, without waiting for the writer")
    func emptyClaimSkipsTheWriter() async throws {
        let store = try #require(try await StoreFixture.sqlite.make() as? SQLiteStore)
        defer { Task { try? await store.shutdown() } }
        _ = try await store.appendInbox(Sample.item(1, id: "m1"))
        // Worker A holds the only lane with a pending entry.
        #expect(try await store.claimLanes(owner: "A", limit: 10, perLane: 1, now: 0, leaseMillis: 60_000).count == 1)

        // Another writer holds the writing connection until released.
        let started = AsyncStream<Void>.makeStream()
        let gate = AsyncStream<Void>.makeStream()
        let held = Task {
            try await store.transaction {
                started.continuation.yield()
                for await _ in gate.stream { break }
            }
        }
        for await _ in started.stream { break }

        // Worker B polls: nothing is free, and it learns so without queueing behind the writer.
        let answer = try await withThrowingTaskGroup(of: [LaneClaim]?.self) { group in
            group.addTask { try await store.claimLanes(owner: "B", limit: 10, perLane: 1, now: 10, leaseMillis: 60_000) }
            group.addTask {
                try await Task.sleep(for: .seconds(10))
                return nil
            }
            let first = try await group.next() ?? nil
            gate.continuation.finish()
            group.cancelAll()
            return first
        }
        gate.continuation.finish()
        try await held.value
        #expect(answer?.isEmpty == true, "the empty claim waited for the writing connection")

        // A free lane is still claimed (through the writer).
        _ = try await store.appendInbox(Sample.item(2, id: "m2"))
        #expect(try await store.claimLanes(owner: "B", limit: 10, perLane: 1, now: 20, leaseMillis: 60_000).map(\.lane) == ["hash-2"])
    }
}
