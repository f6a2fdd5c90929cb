import ArriwaCore
import ArriwaRuntime
import ArriwaStore
import Foundation
import Logging
import Testing

/// The worker runs several claimed lanes' turns together and commits each round in one shared
/// transaction; a turn that needs a model classifier leaves the batch and finishes alone.
@Suite struct WorkerBatchTests {
    actor Calls {
        var inputs: [String] = []
        func record(_ input: String) { inputs.append(input) }
    }

    @Test func lanesClaimedTogetherCommitInSharedTransactionsAndAModelTurnFinishesAlone() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("arriwa-batch-\(UUID().uuidString)")
        let logger = Logger(label: "arriwa.batch.tests", factory: { _ in SwiftLogNoOpLogHandler() })
        let store = try await SQLiteStore.open(path: directory.appendingPathComponent("store.db").path, logger: logger)
        _ = try await store.migrate()
        defer { Task { try? await store.shutdown() } }
        let deployments = Deployments(store: store, logger: logger)
        try await deployments.deploy(directory: DurableHarness.demoDirectory, now: SystemClock.nowMillis())
        let calls = Calls()
        let worker = TurnWorker(store: store, deployments: deployments,
                                configuration: .init(owner: "batch", concurrency: 1, lanesPerClaim: 32, classify: { request in
                                    await calls.record(request.input)
                                    return Classification(validity: .valid, confidence: 0.9, answer: "whitening", source: "llm:fake")
                                }), logger: logger)
        let leads = 12
        let phones = (0..<leads).map { "+1555020\(String(format: "%04d", $0))" }
        // Every lead's whole script is in the inbox before the worker looks: each claim holds many
        // lanes with several entries each. Lead 0 answers Q1 in free text (the model classifies it).
        for (round, text) in TurnWorkerTests.script.enumerated() {
            for (n, phone) in phones.enumerated() {
                let hash = try #require(Phone.hash(phone))
                let now = SystemClock.nowMillis()
                let body = n == 0 && round == 1 ? "I'd like my smile brighter" : text
                let message = InboundMessage(id: "wamid.\(phone).\(round)", text: body, receivedAt: now,
                                             contact: Contact(subscriberID: "", phoneHash: hash, language: "en"))
                _ = try await store.appendInbox(InboxItem(tenant: DurableHarness.tenant, lane: hash, dedupeKey: message.id,
                                                          kind: .message, event: .inbound(message), receivedAt: now))
            }
        }
        var polls = 0
        while try await store.pendingInboxCount() > 0, polls < 50 {
            await worker.pollOnce(owner: "batch#0")
            polls += 1
        }
        #expect(try await store.pendingInboxCount() == 0)
        #expect(await calls.inputs == ["I'd like my smile brighter"])
        // 48 turns: the model turn and the rest of its lane alone, everything else shared.
        let statistics = await store.batchStatistics
        #expect(statistics.shared >= 40, "shared \(statistics.shared), alone \(statistics.alone)")
        for (n, phone) in phones.enumerated() {
            let hash = try #require(Phone.hash(phone))
            let state = try #require(try await store.laneState(tenant: DurableHarness.tenant, lane: hash).session)
            let q1 = n == 0 ? "whitening" : "implants"
            #expect(state.answers == ["Q1": q1, "Q2": "this_month", "Q3": "from_1k_to_5k"], "in order, once: lead \(n)")
            let sends = try await store.outbox(OutboxFilter(destination: OutboxDestination.channel, limit: 10_000))
                .filter { $0.item.sessionID == state.id }
            #expect(sends.count == 4, "one question per message, none twice: lead \(n)")
            // Each question the lead answered is `replied` in the message log; the last is not (yet).
            var states: [String] = []
            for send in sends { states.append(try await store.messageLog(tenant: DurableHarness.tenant, messageID: send.item.key)?.state ?? "missing") }
            #expect(states == ["replied", "replied", "replied", "pending"], "lead \(n): \(states)")
        }
        // Every lane was given back.
        let hash = try #require(Phone.hash(phones[1]))
        let later = InboundMessage(id: "wamid.later", text: "hello again", receivedAt: SystemClock.nowMillis(),
                                   contact: Contact(subscriberID: "", phoneHash: hash, language: "en"))
        _ = try await store.appendInbox(InboxItem(tenant: DurableHarness.tenant, lane: hash, dedupeKey: later.id, kind: .message,
                                                  event: .inbound(later), receivedAt: later.receivedAt))
        #expect(try await store.claimLanes(owner: "other", limit: 32, perLane: 1, now: SystemClock.nowMillis(), leaseMillis: 1_000).count == 1)
    }
}
