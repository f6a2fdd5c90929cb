import ArriwaCore
import ArriwaStore
import Foundation
import Testing

/// One suite, every store: what `Store` promises (see Store.swift), checked the same way on
/// memory, SQLite and PostgreSQL.
@Suite("Store conformance")
struct StoreConformanceTests {
    // MARK: Lifecycle and flow versions

    @Test("migrate is idempotent and the schema version is positive", arguments: StoreFixture.allCases)
    func migrateIsIdempotent(_ fixture: StoreFixture) async throws {
        let store = try await fixture.make()
        defer { Task { try? await store.shutdown() } }
        #expect(try await store.migrate() == [])
        #expect(try await store.schemaVersion() >= 1)
        try await store.ping()
    }

    @Test("flow versions are content-addressed, immutable, and the last deployed is active", arguments: StoreFixture.allCases)
    func flowVersions(_ fixture: StoreFixture) async throws {
        let store = try await fixture.make()
        defer { Task { try? await store.shutdown() } }
        let v1 = FlowVersionRecord(tenant: "acme", version: "v1", files: ["tenant.yaml": "name: acme\n", "flows/main.yaml": "nodes: []\n"], createdAt: 10)
        let v2 = FlowVersionRecord(tenant: "acme", version: "v2", files: ["tenant.yaml": "name: acme # ✓\n"], createdAt: 20)
        #expect(try await store.activeFlowVersion(tenant: "acme") == nil)
        #expect(try await store.saveFlowVersion(v1))
        #expect(try await store.saveFlowVersion(v2))
        #expect(try await store.activeFlowVersion(tenant: "acme") == v2)
        // Same version again: nothing changes but it becomes active again (a rollback).
        var altered = v1
        altered.files = ["tenant.yaml": "changed"]
        #expect(try await store.saveFlowVersion(altered) == false)
        #expect(try await store.flowVersion(tenant: "acme", version: "v1") == v1)
        #expect(try await store.activeFlowVersion(tenant: "acme")?.version == "v1")
        #expect(try await store.flowVersions(tenant: "acme").map(\.version) == ["v1", "v2"])
        #expect(try await store.flowVersions(tenant: "other").isEmpty)
    }

    // MARK: Inbox and lanes

    @Test("the inbox dedupes on (tenant, provider message id)", arguments: StoreFixture.allCases)
    func inboxDedupes(_ fixture: StoreFixture) async throws {
        let store = try await fixture.make()
        defer { Task { try? await store.shutdown() } }
        guard case .appended(let first) = try await store.appendInbox(Sample.item(1, id: "wamid.A")) else {
            Issue.record("first append was not stored")
            return
        }
        #expect(try await store.appendInbox(Sample.item(1, id: "wamid.A")) == .duplicate)
        guard case .appended(let second) = try await store.appendInbox(Sample.item(1, id: "wamid.A", tenant: "other")) else {
            Issue.record("the same id in another tenant was refused")
            return
        }
        #expect(second > first)
        #expect(try await store.pendingInboxCount() == 2)
    }

    @Test("a lane is leased to one worker; entries come in arrival order; an expired lease is taken over", arguments: StoreFixture.allCases)
    func laneLeases(_ fixture: StoreFixture) async throws {
        let store = try await fixture.make()
        defer { Task { try? await store.shutdown() } }
        for (n, id) in [(1, "m1"), (2, "m2"), (1, "m3"), (1, "m4")] { _ = try await store.appendInbox(Sample.item(n, id: id)) }

        let a = try await store.claimLanes(owner: "A", limit: 1, perLane: 2, now: 0, leaseMillis: 1_000)
        #expect(a.map(\.lane) == ["hash-1"])
        #expect(a.first?.entries.map(\.item.dedupeKey) == ["m1", "m3"])
        #expect(a.first?.leaseUntil == 1_000)

        let b = try await store.claimLanes(owner: "B", limit: 10, perLane: 10, now: 500, leaseMillis: 1_000)
        #expect(b.map(\.lane) == ["hash-2"], "B must not get A's leased lane")

        let c = try await store.claimLanes(owner: "C", limit: 10, perLane: 10, now: 1_001, leaseMillis: 1_000)
        #expect(c.map(\.lane) == ["hash-1"], "A's expired lease is taken over, B's running one is not")
        #expect(c.first?.entries.map(\.item.dedupeKey) == ["m1", "m3", "m4"])
        // The entry's event round-trips.
        #expect(c.first?.entries.first?.item == Sample.item(1, id: "m1"))

        try await store.releaseLane(tenant: Sample.tenant, lane: "hash-1", owner: "A") // not A's any more: no effect
        #expect(try await store.claimLanes(owner: "D", limit: 10, perLane: 10, now: 1_200, leaseMillis: 1_000).isEmpty)
        try await store.releaseLane(tenant: Sample.tenant, lane: "hash-1", owner: "C")
        #expect(try await store.claimLanes(owner: "D", limit: 10, perLane: 10, now: 1_200, leaseMillis: 1_000).map(\.lane) == ["hash-1"])
        #expect(try await store.claimLanes(owner: "E", limit: 10, perLane: 10, now: 1_500, leaseMillis: 1_000).map(\.lane) == ["hash-2"],
                "a lease ending exactly now has expired")
    }

    @Test("a failed (poison) entry stops blocking its lane", arguments: StoreFixture.allCases)
    func failInbox(_ fixture: StoreFixture) async throws {
        let store = try await fixture.make()
        defer { Task { try? await store.shutdown() } }
        _ = try await store.appendInbox(Sample.item(1, id: "bad"))
        _ = try await store.appendInbox(Sample.item(1, id: "good"))
        let claim = try #require(try await store.claimLanes(owner: "A", limit: 1, perLane: 1, now: 0, leaseMillis: 1_000).first)
        let poison = try #require(claim.entries.first)
        #expect(poison.item.dedupeKey == "bad")
        await #expect(throws: StoreError.self) {
            try await store.failInbox(seq: poison.seq, owner: "B", error: "boom", now: 10)
        }
        try await store.failInbox(seq: poison.seq, owner: "A", error: "flow version v9 missing", now: 10)
        try await store.releaseLane(tenant: Sample.tenant, lane: "hash-1", owner: "A")
        let next = try await store.claimLanes(owner: "A", limit: 1, perLane: 5, now: 20, leaseMillis: 1_000)
        #expect(next.first?.entries.map(\.item.dedupeKey) == ["good"])
        #expect(try await store.pendingInboxCount() == 1)
    }

    // MARK: Turns

    @Test("a turn commits state, outbox, timers and logs together and consumes its inbox entry", arguments: StoreFixture.allCases)
    func commitTurn(_ fixture: StoreFixture) async throws {
        let store = try await fixture.make()
        defer { Task { try? await store.shutdown() } }
        _ = try await store.appendInbox(Sample.item(1, id: "m1"))
        let claim = try #require(try await store.claimLanes(owner: "W", limit: 1, perLane: 10, now: 100, leaseMillis: 5_000).first)
        let state = Sample.session(1)
        var commit = TurnCommit(tenant: Sample.tenant, lane: claim.lane, owner: "W", now: 200, consumed: claim.entries.map(\.seq),
                                session: state, expectedTurn: nil,
                                subscriber: SubscriberRecord(tenant: Sample.tenant, lane: claim.lane, subscriberID: "sub-1", phoneHash: "hash-1",
                                                             phoneEncrypted: Data([1, 2, 3]), createdAt: 200),
                                releaseLane: true)
        commit.add(effects: [
            Sample.send("msg-1", session: state),
            Sample.emit("evt-1", session: state),
            .schedule(Sample.timer(state, due: 60_000)),
            .audit(AuditRecord(type: "keyword_interrupt", sessionID: state.id, detail: "pause", at: 200)),
        ])
        #expect(commit.outbox.map(\.destination) == ["channel", "capi", "crm"])
        let result = try await store.commitTurn(commit)
        #expect(result.duplicateOutboxKeys.isEmpty)

        #expect(try await store.session(tenant: Sample.tenant, id: state.id) == state)
        #expect(try await store.latestSession(tenant: Sample.tenant, subscriberID: "sub-1") == state)
        #expect(try await store.session(tenant: "other", id: state.id) == nil)
        let subscriber = try #require(try await store.subscriber(tenant: Sample.tenant, lane: "hash-1"))
        #expect(subscriber.subscriberID == "sub-1" && subscriber.phoneEncrypted == Data([1, 2, 3]))
        #expect(try await store.pendingInboxCount() == 0)
        #expect(try await store.pendingTimers(tenant: Sample.tenant, sessionID: state.id).map(\.timer) == [Sample.timer(state, due: 60_000)])
        #expect(try await store.outbox(OutboxFilter(tenant: Sample.tenant)).map(\.item) == commit.outbox)
        #expect(try await store.messageLog(tenant: Sample.tenant, messageID: "msg-1")?.sessionID == state.id)
        #expect(try await store.auditLog(tenant: Sample.tenant, sessionID: state.id, limit: 10).map(\.type) == ["keyword_interrupt"])
        #expect(try await store.eventLog(tenant: Sample.tenant, sessionID: nil, limit: 10).map(\.key) == ["evt-1"])
        // The lane was released with the commit.
        _ = try await store.appendInbox(Sample.item(1, id: "m2"))
        #expect(try await store.claimLanes(owner: "X", limit: 1, perLane: 1, now: 300, leaseMillis: 1_000).count == 1)
    }

    @Test("a commit without the lane's lease applies nothing", arguments: StoreFixture.allCases)
    func leaseLost(_ fixture: StoreFixture) async throws {
        let store = try await fixture.make()
        defer { Task { try? await store.shutdown() } }
        _ = try await store.appendInbox(Sample.item(1, id: "m1"))
        let claim = try #require(try await store.claimLanes(owner: "A", limit: 1, perLane: 1, now: 0, leaseMillis: 1_000).first)
        let state = Sample.session(1)
        var late = TurnCommit(tenant: Sample.tenant, lane: claim.lane, owner: "A", now: 1_001, consumed: [claim.entries[0].seq], session: state)
        late.add(effects: [Sample.send("msg-1", session: state)])
        await expectStoreError(.leaseLost) { try await store.commitTurn(late) } // expired
        var stranger = late
        stranger.owner = "B"
        stranger.now = 10
        await expectStoreError(.leaseLost) { try await store.commitTurn(stranger) }
        #expect(try await store.session(tenant: Sample.tenant, id: state.id) == nil)
        #expect(try await store.outbox(OutboxFilter()).isEmpty)
        #expect(try await store.pendingInboxCount() == 1)
    }

    @Test("a duplicate executor fails on the consumed entry or the session's turn, applying nothing twice", arguments: StoreFixture.allCases)
    func duplicateExecutor(_ fixture: StoreFixture) async throws {
        let store = try await fixture.make()
        defer { Task { try? await store.shutdown() } }
        _ = try await store.appendInbox(Sample.item(1, id: "m1"))
        _ = try await store.appendInbox(Sample.item(1, id: "m2"))
        let claim = try #require(try await store.claimLanes(owner: "A", limit: 1, perLane: 2, now: 0, leaseMillis: 10_000).first)
        let first = Sample.session(1, turn: 1)
        var c1 = TurnCommit(tenant: Sample.tenant, lane: claim.lane, owner: "A", now: 1, consumed: [claim.entries[0].seq], session: first)
        c1.add(effects: [Sample.send("msg-1", session: first)])
        _ = try await store.commitTurn(c1)
        // The same turn again: the entry is done.
        await expectStoreError(.alreadyApplied) { try await store.commitTurn(c1) }

        // The next entry, but computed from a stale state (expects turn 0 while the store has 1).
        var second = first
        second.turn = 2
        second.step = "q3"
        var stale = TurnCommit(tenant: Sample.tenant, lane: claim.lane, owner: "A", now: 2, consumed: [claim.entries[1].seq],
                               session: second, expectedTurn: 0)
        stale.add(effects: [Sample.send("msg-2", session: second)])
        await expectStoreError(.turnConflict) { try await store.commitTurn(stale) }
        // A "new" session that already exists is a conflict too.
        stale.expectedTurn = nil
        await expectStoreError(.turnConflict) { try await store.commitTurn(stale) }
        #expect(try await store.pendingInboxCount() == 1)
        #expect(try await store.outbox(OutboxFilter()).map(\.item.key) == ["msg-1"])

        stale.expectedTurn = 1
        _ = try await store.commitTurn(stale)
        #expect(try await store.session(tenant: Sample.tenant, id: first.id)?.step == "q3")
        #expect(try await store.outbox(OutboxFilter()).map(\.item.key) == ["msg-1", "msg-2"])
    }

    @Test("outbox keys are unique per tenant and destination; a repeated key is reported, not written", arguments: StoreFixture.allCases)
    func outboxUnique(_ fixture: StoreFixture) async throws {
        let store = try await fixture.make()
        defer { Task { try? await store.shutdown() } }
        for id in ["m1", "m2"] { _ = try await store.appendInbox(Sample.item(1, id: id)) }
        let claim = try #require(try await store.claimLanes(owner: "A", limit: 1, perLane: 2, now: 0, leaseMillis: 10_000).first)
        let s1 = Sample.session(1, turn: 1)
        var c1 = TurnCommit(tenant: Sample.tenant, lane: claim.lane, owner: "A", now: 1, consumed: [claim.entries[0].seq], session: s1)
        c1.add(effects: [Sample.emit("evt-1", session: s1)])
        _ = try await store.commitTurn(c1)
        var s2 = s1
        s2.turn = 2
        var c2 = TurnCommit(tenant: Sample.tenant, lane: claim.lane, owner: "A", now: 2, consumed: [claim.entries[1].seq], session: s2, expectedTurn: 1)
        c2.add(effects: [Sample.emit("evt-1", session: s2, sinks: ["capi", "audiences"])])
        let result = try await store.commitTurn(c2)
        #expect(result.duplicateOutboxKeys == ["capi/evt-1"])
        #expect(try await store.outbox(OutboxFilter()).map { "\($0.item.destination)/\($0.item.key)" } == ["capi/evt-1", "crm/evt-1", "audiences/evt-1"])
        #expect(try await store.eventLog(tenant: Sample.tenant, sessionID: nil, limit: 10).count == 1)
    }

    @Test("attribution is immutable once set", arguments: StoreFixture.allCases)
    func attributionImmutable(_ fixture: StoreFixture) async throws {
        let store = try await fixture.make()
        defer { Task { try? await store.shutdown() } }
        for id in ["m1", "m2"] { _ = try await store.appendInbox(Sample.item(1, id: id)) }
        let claim = try #require(try await store.claimLanes(owner: "A", limit: 1, perLane: 2, now: 0, leaseMillis: 10_000).first)
        let s1 = Sample.session(1, turn: 1)
        _ = try await store.commitTurn(TurnCommit(tenant: Sample.tenant, lane: claim.lane, owner: "A", now: 1, consumed: [claim.entries[0].seq], session: s1))
        var s2 = s1
        s2.turn = 2
        s2.attribution = ["ctwa_clid": "forged"]
        s2.referralRaw = "{}"
        _ = try await store.commitTurn(TurnCommit(tenant: Sample.tenant, lane: claim.lane, owner: "A", now: 2, consumed: [claim.entries[1].seq],
                                                  session: s2, expectedTurn: 1))
        let stored = try #require(try await store.session(tenant: Sample.tenant, id: s1.id))
        #expect(stored.turn == 2)
        #expect(stored.attribution == s1.attribution)
        #expect(stored.referralRaw == s1.referralRaw)
    }

    // MARK: Timers

    @Test("due timers move into their lane's inbox once; cancelled and future ones stay out", arguments: StoreFixture.allCases)
    func timers(_ fixture: StoreFixture) async throws {
        let store = try await fixture.make()
        defer { Task { try? await store.shutdown() } }
        for id in ["m1", "m2"] { _ = try await store.appendInbox(Sample.item(1, id: id)) }
        let claim = try #require(try await store.claimLanes(owner: "A", limit: 1, perLane: 2, now: 0, leaseMillis: 10_000).first)
        let s = Sample.session(1, turn: 1)
        var commit = TurnCommit(tenant: Sample.tenant, lane: claim.lane, owner: "A", now: 1, consumed: [claim.entries[0].seq], session: s)
        commit.add(effects: [
            .schedule(Sample.timer(s, token: 1, index: 0, due: 100)),
            .schedule(Sample.timer(s, token: 1, index: 1, due: 200)),
            .schedule(Sample.timer(s, token: 1, index: 2, due: 5_000)),
            .schedule(TimerSpec(sessionID: s.id, kind: .timeout, token: 1, dueAt: 150)),
        ])
        _ = try await store.commitTurn(commit)
        var s2 = s
        s2.turn = 2
        var cancel = TurnCommit(tenant: Sample.tenant, lane: claim.lane, owner: "A", now: 2, consumed: [claim.entries[1].seq], session: s2,
                                expectedTurn: 1, releaseLane: true)
        cancel.add(effects: [.cancel(timerID: TimerSpec.id(sessionID: s.id, kind: .timeout, token: 1))])
        _ = try await store.commitTurn(cancel)
        #expect(try await store.pendingTimerCount() == 3)
        #expect(try await store.nextTimerDue() == 100)

        #expect(try await store.promoteDueTimers(now: 250, limit: 1) == 1)
        #expect(try await store.promoteDueTimers(now: 250, limit: 10) == 1)
        #expect(try await store.promoteDueTimers(now: 250, limit: 10) == 0)
        #expect(try await store.nextTimerDue() == 5_000)
        let fired = try #require(try await store.claimLanes(owner: "B", limit: 5, perLane: 5, now: 300, leaseMillis: 1_000).first)
        #expect(fired.lane == "hash-1")
        #expect(fired.entries.map(\.item.kind) == [.timer, .timer])
        #expect(fired.entries.map(\.item.event) == [.timer(TimerFired(Sample.timer(s, index: 0, due: 100))), .timer(TimerFired(Sample.timer(s, index: 1, due: 200)))])
        #expect(try await store.pendingTimers(tenant: Sample.tenant, sessionID: s.id).map(\.timer.index) == [2])
    }

    @Test("rescheduling a timer id replaces its due time", arguments: StoreFixture.allCases)
    func reschedule(_ fixture: StoreFixture) async throws {
        let store = try await fixture.make()
        defer { Task { try? await store.shutdown() } }
        for id in ["m1", "m2"] { _ = try await store.appendInbox(Sample.item(1, id: id)) }
        let claim = try #require(try await store.claimLanes(owner: "A", limit: 1, perLane: 2, now: 0, leaseMillis: 10_000).first)
        let s = Sample.session(1, turn: 1)
        var c1 = TurnCommit(tenant: Sample.tenant, lane: claim.lane, owner: "A", now: 1, consumed: [claim.entries[0].seq], session: s)
        c1.add(effects: [.schedule(TimerSpec(sessionID: s.id, kind: .handoverReturn, token: 0, dueAt: 1_000))])
        _ = try await store.commitTurn(c1)
        var s2 = s
        s2.turn = 2
        var c2 = TurnCommit(tenant: Sample.tenant, lane: claim.lane, owner: "A", now: 2, consumed: [claim.entries[1].seq], session: s2, expectedTurn: 1)
        c2.add(effects: [.schedule(TimerSpec(sessionID: s.id, kind: .handoverReturn, token: 0, dueAt: 9_000))])
        _ = try await store.commitTurn(c2)
        #expect(try await store.pendingTimers(tenant: Sample.tenant, sessionID: s.id).map(\.timer.dueAt) == [9_000])
    }

    // MARK: Outbox

    @Test("outbox rows are leased, retried, redelivered after a lost lease, dead-lettered and replayed", arguments: StoreFixture.allCases)
    func outboxLifecycle(_ fixture: StoreFixture) async throws {
        let store = try await fixture.make()
        defer { Task { try? await store.shutdown() } }
        _ = try await store.appendInbox(Sample.item(1, id: "m1"))
        let claim = try #require(try await store.claimLanes(owner: "A", limit: 1, perLane: 1, now: 0, leaseMillis: 10_000).first)
        let s = Sample.session(1)
        var commit = TurnCommit(tenant: Sample.tenant, lane: claim.lane, owner: "A", now: 1, consumed: [claim.entries[0].seq], session: s)
        commit.add(effects: [Sample.send("msg-1", session: s), Sample.emit("evt-1", session: s, sinks: ["capi"])])
        _ = try await store.commitTurn(commit)

        let first = try await store.claimOutbox(owner: "D1", limit: 10, now: 10, leaseMillis: 1_000)
        #expect(first.map(\.item.key) == ["msg-1", "evt-1"])
        #expect(first.allSatisfy { $0.attempts == 1 && !$0.isRedelivery })
        #expect(try await store.outboxBacklog() == 2, "leased rows are still the backlog")
        #expect(try await store.claimOutbox(owner: "D2", limit: 10, now: 500, leaseMillis: 1_000).isEmpty, "leased rows are not handed out twice")

        try await store.completeOutbox(id: first[0].id, owner: "D1", outcome: .delivered(remoteID: "wamid.X"), now: 20)
        try await store.completeOutbox(id: first[1].id, owner: "D1", outcome: .retry(at: 2_000, error: "HTTP 503"), now: 20)
        #expect(try await store.claimOutbox(owner: "D2", limit: 10, now: 1_999, leaseMillis: 1_000).isEmpty)

        // D2 takes the retry, then "crashes"; after its lease D3 gets it as a redelivery.
        let retry = try await store.claimOutbox(owner: "D2", limit: 10, now: 2_000, leaseMillis: 1_000)
        #expect(retry.map(\.attempts) == [2])
        let redelivery = try await store.claimOutbox(owner: "D3", limit: 10, now: 3_001, leaseMillis: 1_000)
        #expect(redelivery.map(\.attempts) == [3])
        #expect(redelivery.first?.isRedelivery == true)
        try await store.completeOutbox(id: retry[0].id, owner: "D2", outcome: .delivered(remoteID: nil), now: 3_002) // stale owner: ignored
        try await store.completeOutbox(id: redelivery[0].id, owner: "D3", outcome: .dead(error: "HTTP 400: invalid parameter"), now: 3_010)

        let dead = try await store.outbox(OutboxFilter(status: .dead))
        #expect(dead.map(\.item.key) == ["evt-1"])
        #expect(dead.first?.lastError == "HTTP 400: invalid parameter")
        let delivered = try await store.outbox(OutboxFilter(tenant: Sample.tenant, status: .delivered, destination: "channel"))
        #expect(delivered.first?.remoteID == "wamid.X" && delivered.first?.deliveredAt == 20)
        #expect(try await store.outboxCounts(tenant: nil) == [.delivered: 1, .dead: 1])
        #expect(try await store.outboxBacklog() == 0, "delivered and dead rows are not the backlog")

        #expect(try await store.retryOutbox(ids: dead.map(\.id), now: 4_000) == 1)
        #expect(try await store.retryOutbox(ids: delivered.map(\.id), now: 4_000) == 0, "delivered rows are not replayed")
        #expect(try await store.claimOutbox(owner: "D4", limit: 10, now: 4_000, leaseMillis: 1_000).map(\.item.key) == ["evt-1"])
    }

    // MARK: Message log

    @Test("delivery states link the provider's id and never move back", arguments: StoreFixture.allCases)
    func messageLog(_ fixture: StoreFixture) async throws {
        let store = try await fixture.make()
        defer { Task { try? await store.shutdown() } }
        _ = try await store.appendInbox(Sample.item(1, id: "m1"))
        let claim = try #require(try await store.claimLanes(owner: "A", limit: 1, perLane: 1, now: 0, leaseMillis: 10_000).first)
        let s = Sample.session(1)
        var commit = TurnCommit(tenant: Sample.tenant, lane: claim.lane, owner: "A", now: 1, consumed: [claim.entries[0].seq], session: s)
        commit.add(effects: [Sample.send("msg-1", session: s)])
        _ = try await store.commitTurn(commit)

        try await store.recordDelivery(tenant: Sample.tenant, messageID: "msg-1", providerMessageID: "wamid.P", state: "sent", at: 10)
        try await store.recordDelivery(tenant: Sample.tenant, messageID: "wamid.P", providerMessageID: nil, state: "read", at: 30)
        try await store.recordDelivery(tenant: Sample.tenant, messageID: "wamid.P", providerMessageID: nil, state: "delivered", at: 20)
        let record = try #require(try await store.messageLog(tenant: Sample.tenant, messageID: "wamid.P"))
        #expect(record.messageID == "msg-1" && record.providerMessageID == "wamid.P")
        #expect(record.state == "read" && record.updatedAt == 30)
        #expect(record.lane == "hash-1" && record.node == "ask_q1")
        #expect(try await store.messageLog(tenant: "other", messageID: "wamid.P") == nil)

        // A second message: accepted by the provider, then reported failed (131047 comes as a
        // failed status after sent); a retry that gets through is sent again; read never fails.
        var next = TurnCommit(tenant: Sample.tenant, lane: claim.lane, owner: "A", now: 2, consumed: [], session: nil)
        next.add(effects: [Sample.send("msg-2", session: s)])
        _ = try await store.commitTurn(next)
        try await store.recordDelivery(tenant: Sample.tenant, messageID: "msg-2", providerMessageID: "wamid.Q", state: "sent", at: 40)
        try await store.recordDelivery(tenant: Sample.tenant, messageID: "wamid.Q", providerMessageID: nil, state: "failed", at: 41)
        #expect(try await store.messageLog(tenant: Sample.tenant, messageID: "wamid.Q")?.state == "failed")
        try await store.recordDelivery(tenant: Sample.tenant, messageID: "wamid.Q", providerMessageID: nil, state: "sent", at: 42)
        #expect(try await store.messageLog(tenant: Sample.tenant, messageID: "wamid.Q")?.state == "sent")
        try await store.recordDelivery(tenant: Sample.tenant, messageID: "wamid.P", providerMessageID: nil, state: "failed", at: 50)
        #expect(try await store.messageLog(tenant: Sample.tenant, messageID: "wamid.P")?.state == "read")
    }
}

/// Expects `body` to throw a `StoreError` with `code`.
func expectStoreError(_ code: StoreError.Code, sourceLocation: Testing.SourceLocation = #_sourceLocation,
                      _ body: () async throws -> some Any) async {
    let error = await #expect(throws: StoreError.self, sourceLocation: sourceLocation) { _ = try await body() }
    #expect(error?.code == code, sourceLocation: sourceLocation)
}

extension StoreConformanceTests {
    // MARK: Contacts and audit

    @Test("a lane's sealed contact address is stored per tenant and replaced, never mixed up", arguments: StoreFixture.allCases)
    func contactAddresses(_ fixture: StoreFixture) async throws {
        let store = try await fixture.make()
        defer { Task { try? await store.shutdown() } }
        #expect(try await store.contactAddress(tenant: "acme", lane: "lane-1") == nil)
        let first = ContactAddress(tenant: "acme", lane: "lane-1", kind: .phone, sealed: Data([1, 2, 3, 0, 255]), updatedAt: 10)
        try await store.saveContactAddress(first)
        try await store.saveContactAddress(ContactAddress(tenant: "other", lane: "lane-1", kind: .bsuid, sealed: Data([9]), updatedAt: 11))
        #expect(try await store.contactAddress(tenant: "acme", lane: "lane-1") == first)
        let replaced = ContactAddress(tenant: "acme", lane: "lane-1", kind: .bsuid, sealed: Data([7, 7]), updatedAt: 20)
        try await store.saveContactAddress(replaced)
        #expect(try await store.contactAddress(tenant: "acme", lane: "lane-1") == replaced)
        #expect(try await store.contactAddress(tenant: "other", lane: "lane-1")?.sealed == Data([9]))
        #expect(try await store.contactAddress(tenant: "acme", lane: "lane-2") == nil)
    }

    @Test("an audit record written outside a turn is read back for its tenant only", arguments: StoreFixture.allCases)
    func auditOutsideTurn(_ fixture: StoreFixture) async throws {
        let store = try await fixture.make()
        defer { Task { try? await store.shutdown() } }
        let record = AuditRecord(type: "webhook_bad_signature", sessionID: "", detail: "cloud: X-Hub-Signature-256 mismatch", at: 42)
        try await store.appendAudit(tenant: "acme", record: record)
        #expect(try await store.auditLog(tenant: "acme", sessionID: nil, limit: 10) == [record])
        #expect(try await store.auditLog(tenant: "other", sessionID: nil, limit: 10).isEmpty)
    }
}

extension StoreConformanceTests {
    // MARK: Retention

    @Test("prune deletes only processed rows older than the cutoff, oldest first, up to the limit", arguments: StoreFixture.allCases)
    func prune(_ fixture: StoreFixture) async throws {
        let store = try await fixture.make()
        defer { Task { try? await store.shutdown() } }
        // Three leads: lanes 1 and 2 processed long ago, lane 3 still pending (old too).
        for n in 1...3 { _ = try await store.appendInbox(Sample.item(n, id: "m\(n)", at: 1_000)) }
        let claims = try await store.claimLanes(owner: "W", limit: 2, perLane: 1, now: 2_000, leaseMillis: 60_000)
        #expect(claims.count == 2)
        for claim in claims {
            let n = Int(claim.lane.dropFirst("hash-".count)) ?? 0
            var state = Sample.session(n)
            state.id = "session-\(n)"
            var commit = TurnCommit(tenant: Sample.tenant, lane: claim.lane, owner: "W", now: 2_000, consumed: claim.entries.map(\.seq),
                                    session: state, releaseLane: true)
            commit.add(effects: [Sample.send("msg-\(n)", session: state)])
            _ = try await store.commitTurn(commit)
        }
        // One outbox row delivered at 3,000, the other left pending.
        let rows = try await store.claimOutbox(owner: "D", limit: 1, now: 2_500, leaseMillis: 60_000)
        let delivered = try #require(rows.first)
        try await store.completeOutbox(id: delivered.id, owner: "D", outcome: .delivered(remoteID: "wamid.1"), now: 3_000)

        // A cutoff before everything: nothing goes.
        #expect(try await store.prune(olderThan: 500, limit: 100) == PruneCounts())
        // Limit 1: the oldest done inbox entry and the delivered row.
        #expect(try await store.prune(olderThan: 10_000, limit: 1) == PruneCounts(inbox: 1, outbox: 1))
        #expect(try await store.prune(olderThan: 10_000, limit: 100) == PruneCounts(inbox: 1, outbox: 0))
        #expect(try await store.prune(olderThan: 10_000, limit: 100) == PruneCounts())
        // The pending entry, the pending outbox row and the sessions are still there.
        #expect(try await store.pendingInboxCount() == 1)
        #expect(try await store.outbox(OutboxFilter(tenant: Sample.tenant)).map(\.status) == [.pending])
        for claim in claims {
            let n = Int(claim.lane.dropFirst("hash-".count)) ?? 0
            #expect(try await store.session(tenant: Sample.tenant, id: "session-\(n)") != nil)
        }
    }
}

extension StoreConformanceTests {
    @Test("a lane's state is its subscriber with the latest session, or what exists of them", arguments: StoreFixture.allCases)
    func laneState(_ fixture: StoreFixture) async throws {
        let store = try await fixture.make()
        defer { Task { try? await store.shutdown() } }
        let empty = try await store.laneState(tenant: Sample.tenant, lane: "hash-1")
        #expect(empty.subscriber == nil && empty.session == nil)
        for (index, id) in ["m1", "m2", "m3"].enumerated() {
            _ = try await store.appendInbox(Sample.item(1, id: id))
            let claim = try #require(try await store.claimLanes(owner: "W", limit: 1, perLane: 1, now: 100, leaseMillis: 5_000).first)
            // A store that reads the lane's state with the claim (PostgreSQL) reads what laneState
            // reads, including what the previous turn committed.
            if fixture == .postgres { #expect(claim.state != nil) }
            if let known = claim.state {
                #expect(known == (try await store.laneState(tenant: Sample.tenant, lane: "hash-1")), "claim \(index)")
                #expect(known.session?.id == (index == 0 ? nil : "session-\(index - 1)"))
            }
            guard index < 2 else { break }
            var state = Sample.session(1)
            state.id = "session-\(index)"
            let commit = TurnCommit(tenant: Sample.tenant, lane: claim.lane, owner: "W", now: 200 + Int64(index), consumed: claim.entries.map(\.seq),
                                    session: state, expectedTurn: nil,
                                    subscriber: index == 0 ? SubscriberRecord(tenant: Sample.tenant, lane: claim.lane, subscriberID: state.subscriberID,
                                                                              phoneHash: "hash-1", createdAt: 200) : nil,
                                    releaseLane: true)
            _ = try await store.commitTurn(commit)
            let read = try await store.laneState(tenant: Sample.tenant, lane: "hash-1")
            #expect(read.subscriber?.subscriberID == state.subscriberID)
            #expect(read.session == state, "after session \(index)")
        }
        #expect(try await store.laneState(tenant: "other", lane: "hash-1").subscriber == nil)
    }
}

extension StoreConformanceTests {
    @Test("a row claimed again after an uncompleted lease is in doubt; after a recorded retry or a replay it is not", arguments: StoreFixture.allCases)
    func outboxInDoubt(_ fixture: StoreFixture) async throws {
        let store = try await fixture.make()
        defer { Task { try? await store.shutdown() } }
        _ = try await store.appendInbox(Sample.item(1, id: "m1"))
        let claim = try #require(try await store.claimLanes(owner: "W", limit: 1, perLane: 1, now: 100, leaseMillis: 5_000).first)
        let state = Sample.session(1)
        var commit = TurnCommit(tenant: Sample.tenant, lane: claim.lane, owner: "W", now: 200, consumed: claim.entries.map(\.seq),
                                session: state, releaseLane: true)
        commit.add(effects: [Sample.emit("evt-1", session: state)])
        _ = try await store.commitTurn(commit)

        let first = try await store.claimOutbox(owner: "A", limit: 10, now: 1_000, leaseMillis: 1_000)
        #expect(!first.isEmpty && first.allSatisfy { !$0.inDoubt })
        // A's lease runs out without a completion (A died mid-delivery): B's claim is in doubt.
        let second = try await store.claimOutbox(owner: "B", limit: 10, now: 2_500, leaseMillis: 1_000)
        #expect(second.count == first.count && second.allSatisfy(\.inDoubt))
        // B records a failure: the next attempt knows the last one failed, so it is not in doubt.
        for row in second { try await store.completeOutbox(id: row.id, owner: "B", outcome: .retry(at: 3_000, error: "HTTP 503"), now: 2_600) }
        let third = try await store.claimOutbox(owner: "C", limit: 10, now: 3_000, leaseMillis: 1_000)
        #expect(third.count == first.count && third.allSatisfy { !$0.inDoubt })
        // C refuses them as dead letters; an operator's replay is not in doubt either.
        for row in third { try await store.completeOutbox(id: row.id, owner: "C", outcome: .dead(error: "in doubt"), now: 3_100) }
        #expect(try await store.retryOutbox(ids: third.map(\.id), now: 4_000) == third.count)
        let replayed = try await store.claimOutbox(owner: "D", limit: 10, now: 4_000, leaseMillis: 1_000)
        #expect(replayed.count == first.count && replayed.allSatisfy { !$0.inDoubt })
    }
}
