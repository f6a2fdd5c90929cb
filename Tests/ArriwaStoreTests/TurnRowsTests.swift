import ArriwaCore
@testable import ArriwaStore
import Foundation
import Testing

/// The SQL stores' encoding of a commit's rows (`TurnRows`), before any database work.
@Suite("Turn rows")
struct TurnRowsTests {
    /// A commit of session `n`: its state, a send and a conversion in the outbox, a nudge.
    private func commit(_ n: Int) -> TurnCommit {
        var state = Sample.session(n, turn: n % 5 + 1)
        state.lastInboundText = "answer \(n)"
        var commit = TurnCommit(tenant: Sample.tenant, lane: "hash-\(n)", owner: "W", now: Int64(n), consumed: [Int64(n)],
                                session: state, expectedTurn: state.turn - 1)
        commit.add(effects: [Sample.send("m-\(n)", session: state),
                             .schedule(Sample.timer(state, token: UInt64(n), due: 900_000 + Int64(n)))])
        return commit
    }

    /// The same JSON document (`JSONEncoder` writes an object's keys in no fixed order).
    private func sameDocument(_ a: String, _ b: String) throws -> Bool {
        let parse = { (text: String) in try JSONSerialization.jsonObject(with: Data(text.utf8)) as? NSDictionary }
        guard let x = try parse(a), let y = try parse(b) else { return false }
        return x.isEqual(y)
    }

    @Test("a timer's stored inbox event, built around its spec's text, is the encoder's document of the event and decodes to it")
    func timerEventAroundItsSpec() throws {
        let state = Sample.session(1)
        let timers = [Sample.timer(state, due: 5_000),
                      Sample.timer(state, token: .max, index: 3, due: -1),
                      TimerSpec(sessionID: "id with \"quotes\" and ü", kind: .nudge, token: 1 << 63, index: 0, dueAt: .max)]
        for timer in timers {
            let spec = try StoreJSON.encode(timer, what: "timer")
            let event = TurnRows.timerEvent(spec: spec)
            #expect(try sameDocument(event, StoreJSON.encode(EngineEvent.timer(TimerFired(timer)), what: "event")))
            #expect(try StoreJSON.decode(EngineEvent.self, from: event, table: "inbox", key: "t") == .timer(TimerFired(timer)))
        }
        // And a commit's timer row carries it.
        let rows = try TurnRows(commit(7))
        let row = try #require(rows.timers.first)
        #expect(try StoreJSON.decode(EngineEvent.self, from: row.event, table: "timers", key: row.id)
                == .timer(TimerFired(try StoreJSON.decode(TimerSpec.self, from: row.spec, table: "timers", key: row.id))))
    }

    @Test("a batch encoded in slices at once gives each commit the rows it gets alone, in the commits' order",
          arguments: [0, 1, 2 * TurnRows.turnsPerSlice - 1, 2 * TurnRows.turnsPerSlice, 37, 256])
    func slicedEncodingKeepsOrder(count: Int) async throws {
        let commits = (0..<count).map(commit)
        let together = try await TurnRows.encode(commits)
        let alone = try commits.map(TurnRows.init)
        #expect(together.count == count)
        for (a, b) in zip(together, alone) {
            let (x, y) = (try #require(a.session), try #require(b.session))
            #expect(try sameDocument(x.state, y.state))
            #expect(try sameDocument(x.attribution, y.attribution))
            #expect(a.outbox.map(\.key) == b.outbox.map(\.key))
            #expect(try zip(a.outbox, b.outbox).allSatisfy { try sameDocument($0.effect, $1.effect) })
            #expect(try zip(a.timers, b.timers).allSatisfy { try sameDocument($0.spec, $1.spec) && sameDocument($0.event, $1.event) })
        }
        // Each commit's documents are its own (a slice out of place would give another's).
        for (commit, rows) in zip(commits, together) {
            let state = try #require(rows.session?.state)
            #expect(try StoreJSON.decode(SessionState.self, from: state, table: "sessions", key: "s") == commit.session)
            #expect(try rows.outbox.map { try StoreJSON.decode(Effect.self, from: $0.effect, table: "outbox", key: $0.key) } == commit.outbox.map(\.effect))
        }
    }
}
