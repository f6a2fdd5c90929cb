import ArgumentParser
import ArriwaCore
import ArriwaRuntime
import ArriwaStore
import Foundation
import Logging
import ServiceLifecycle

/// timers-10k (../shared/bench/WORKLOAD.md): N sessions each waiting with a nudge timer, all due
/// at the same instant t0; firing one is a durable turn (the nudge is counted, a send enqueued).
///
/// Setup, on a virtual clock: each lead writes "Hi" (the bot asks Q1), then a `delivered` status
/// of that question arrives — the engine schedules the 15-minute "delivered, not read" nudge. All
/// statuses carry the same virtual instant, so all nudges are due at the same t0. Optionally
/// `--pending` more timers far in the future are added (the table a busy production database
/// has). Then the clock jumps to t0 and the real time until each nudge's turn commits is measured.
struct TimersBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timers",
        abstract: "timers-10k: N nudges due at one instant; time until the last one fired (also with 1,000,000 pending).",
        discussion: """
        EXAMPLES
          swift run -c release arriwa-bench timers --database-url sqlite:/tmp/timers.db
          swift run -c release arriwa-bench timers --database-url postgres://arriwa@127.0.0.1/bench --pending 1000000
        Target: the last timer fires ≤ 2 s after t0, also with 1,000,000 timers pending.
        """
    )

    @Option(help: "postgres://… or sqlite:path (default: a new SQLite file in a temporary directory).") var databaseURL: String?
    @Option(help: "Sessions whose nudge is due at t0.") var due = 10_000
    @Option(help: "Extra timers pending far in the future (not due).") var pending = 0
    @Option(help: "Turn-worker loops in this process.") var workers = 2
    @Option(help: "Lanes one worker loop leases per claim (their turns commit together).") var lanesPerClaim = 256
    @Option(help: "Timers promoted per scheduler scan.") var batch = 500
    @Option(help: "Tenant directory to deploy (its first question's wait must nudge after 15 minutes).") var tenant = "flows/funnel-5"
    @Flag(help: "Print the figures as JSON.") var json = false

    func run() async throws {
        BenchSetup.bootstrapLogging()
        let url = try BenchSetup.storeURL(databaseURL, name: "timers")
        let logger = Logger(label: "arriwa.bench")
        let store = try await StoreURL.open(url, logger: logger)
        try await store.migrate()
        let deployments = Deployments(store: store, logger: logger)
        let start = Int64(Date().timeIntervalSince1970 * 1000)
        let record = try await deployments.deploy(directory: tenant, now: start)
        let clock = VirtualClock(startAt: start)
        let waiters = CommitWaiters()
        let fired = FiredTimers()
        let signal = WakeSignal()
        let worker = TurnWorker(store: store, deployments: deployments,
                                configuration: .init(owner: "timers-bench", concurrency: workers, lanesPerClaim: lanesPerClaim, idlePoll: .milliseconds(5),
                                                     onCommit: { entry, state, _ in
                                                         if entry.item.kind == .timer {
                                                             await fired.fired(state: state, at: monotonicNanos())
                                                         } else {
                                                             await waiters.committed(entry.item.dedupeKey, state: state, at: monotonicNanos())
                                                         }
                                                     }),
                                clock: clock, signal: signal, logger: logger)
        let scheduler = TimerScheduler(store: store, configuration: .init(batch: batch), clock: clock, workers: signal, logger: logger)
        // Before the workers start, so the setup lane is not theirs to take.
        if pending > 0 { try await addPendingTimers(store: store, tenant: record.tenant, count: pending, from: start) }
        let group = ServiceGroup(configuration: .init(services: [worker, scheduler], gracefulShutdownSignals: [], logger: logger))
        let services = Task { try await group.run() }

        // Setup: N leads at Q1, each with a delivered status → a nudge due at t0.
        let setupStart = monotonicNanos()
        let runDigits = 100 + Int(Date().timeIntervalSince1970) % 900
        let counter = SessionCounter(total: due)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<64 {
                group.addTask {
                    while let s = await counter.take() {
                        let phoneHash = Phone.hash("+7\(runDigits)\(String(format: "%07d", s))") ?? "lead-\(s)"
                        let id = "wamid.timers.\(runDigits).\(s)"
                        let at = await clock.now()
                        let message = InboundMessage(id: id, text: "Hi", receivedAt: at,
                                                     contact: Contact(subscriberID: "", phoneHash: phoneHash))
                        _ = try await store.appendInbox(InboxItem(tenant: record.tenant, lane: phoneHash, dedupeKey: id, kind: .message,
                                                                  event: .inbound(message), receivedAt: at))
                        await signal.wake()
                        _ = await waiters.wait(for: id)
                        guard let question = await waiters.finalStates[phoneHash]?.lastOutbound?.message.id else {
                            throw ValidationError("lead \(s): the bot sent no question")
                        }
                        let statusKey = "status:\(question):delivered"
                        _ = try await store.appendInbox(InboxItem(tenant: record.tenant, lane: phoneHash, dedupeKey: statusKey, kind: .status,
                                                                  event: .status(DeliveryStatus(messageID: question, state: .delivered, at: at)),
                                                                  receivedAt: at))
                        await signal.wake()
                        _ = await waiters.wait(for: statusKey)
                    }
                }
            }
            try await group.waitForAll()
        }
        let setupSeconds = Double(monotonicNanos() - setupStart) / 1e9
        let totalPending = try await store.pendingTimerCount()
        if !json { print(String(format: "setup: %d leads waiting with a nudge due at t0, %d timers pending in all (%.1f s)", due, totalPending, setupSeconds)) }

        // t0: the clock reaches the nudges' due time.
        await clock.advance(by: 15 * 60 * 1000)
        let t0 = monotonicNanos()
        await fired.waitFor(due)
        let lags = await fired.times.map { Double($0 &- t0) / 1e6 }.sorted()
        await group.triggerGracefulShutdown()
        _ = try? await services.value

        let nudged = await fired.nudgedSessions
        try? await store.shutdown()
        let last = lags.last ?? 0
        let p99 = lags.isEmpty ? 0 : lags[min(lags.count - 1, Int((Double(lags.count) * 0.99).rounded(.up)) - 1)]
        let p50 = lags.isEmpty ? 0 : lags[lags.count / 2]
        if json {
            let object: [String: Any] = ["store": url.redactedDescription, "due": due, "pending": totalPending, "last_fired_ms": last,
                                         "p50_lag_ms": p50, "p99_lag_ms": p99, "nudged_sessions": nudged]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted]), as: UTF8.self))
        } else {
            print(String(format: "timers %@: %d due at t0 with %d pending: last fired %.0f ms after t0; lag p50 %.0f ms, p99 %.0f ms; %d sessions nudged (target: last ≤ 2000 ms)",
                         url.redactedDescription, due, totalPending, last, p50, p99, nudged))
        }
        if nudged != due {
            FileHandle.standardError.write(Data("problem: \(nudged) of \(due) sessions were nudged exactly once\n".utf8))
            throw ExitCode(1)
        }
    }

    /// Timers far in the future, written in batches through ordinary commits on one lane.
    func addPendingTimers(store: any Store, tenant: String, count: Int, from now: Int64) async throws {
        let lane = "bench-pending-timers"
        guard case .appended(let seq) = try await store.appendInbox(
            InboxItem(tenant: tenant, lane: lane, dedupeKey: "bench-pending-\(UUID().uuidString)", kind: .external,
                      event: .external(ExternalEvent(name: "bench", payload: [:], at: now)), receivedAt: now)) else { return }
        let owner = "timers-bench-setup"
        let claims = try await store.claimLanes(owner: owner, limit: 1_000_000, perLane: 1, now: now + 1, leaseMillis: 3_600_000)
        guard claims.contains(where: { $0.lane == lane }) else { throw ValidationError("could not lease the setup lane") }
        for claim in claims where claim.lane != lane { try await store.releaseLane(tenant: claim.tenant, lane: claim.lane, owner: owner) }
        var written = 0
        while written < count {
            let n = min(2_000, count - written)
            let timers = (0..<n).map { i in
                TimerRecord(tenant: tenant, lane: lane, timer: TimerSpec(sessionID: "pending-\(written + i)", kind: .timeout, token: 1,
                                                                          dueAt: now + 30 * 86_400_000 + Int64(written + i)))
            }
            written += n
            _ = try await store.commitTurn(TurnCommit(tenant: tenant, lane: lane, owner: owner, now: now + 2,
                                                      consumed: written >= count ? [seq] : [], schedule: timers,
                                                      releaseLane: written >= count))
            if !json, written % 100_000 == 0 { print("  \(written) pending timers written") }
        }
    }
}

/// Records when each nudge turn committed.
actor FiredTimers {
    private(set) var times: [UInt64] = []
    private var nudged: Set<String> = []
    private var waiter: (count: Int, continuation: CheckedContinuation<Void, Never>)?

    var nudgedSessions: Int { nudged.count }

    func fired(state: SessionState?, at: UInt64) {
        times.append(at)
        if let state, state.nudges == 1 { nudged.insert(state.id) }
        if let waiter, times.count >= waiter.count {
            self.waiter = nil
            waiter.continuation.resume()
        }
    }

    func waitFor(_ count: Int) async {
        if times.count >= count { return }
        await withCheckedContinuation { waiter = (count, $0) }
    }
}
