import ArgumentParser
import ArriwaCore
import ArriwaRuntime
import ArriwaStore
import Foundation
import Logging
import ServiceLifecycle
#if canImport(Glibc)
import Glibc
#endif

/// funnel-5 (../shared/bench/WORKLOAD.md) through the durable runtime: S sessions, each sending a
/// first message then valid answers to Q1..Q4, closed loop (a session's next message goes in only
/// after the previous one committed), C sessions in flight. Each message: inbox append (dedupe on
/// the provider id) → turn worker claims the lane, loads subscriber and session, runs the engine →
/// one commit of state, outbox rows (send + conversion), timer cancel/schedule, inbox done.
/// The outbox dispatcher runs too, delivering to the recording channel and the log sink.
struct DurableFunnelBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "funnel",
        abstract: "funnel-5: the durable runtime on PostgreSQL or SQLite, closed loop at C = 16, 64, 256.",
        discussion: """
        Reports inbound messages/s over the whole run, ingest-to-commit latency p50/p99 and the \
        process's peak RSS for each concurrency. With a postgres:// URL and --pgbench, also runs \
        pgbench on the same server with the same SQL per message (a script it generates, in copies of our tables) at the \
        same client count, and prints our figure as a share of it.

        The database should be empty or dedicated: each run uses fresh lead numbers and message \
        ids, in the tenant it deploys (funnel-5 by default).

        EXAMPLES
          swift run -c release arriwa-bench funnel --database-url sqlite:/tmp/funnel.db
          swift run -c release arriwa-bench funnel --database-url postgres://arriwa@127.0.0.1:5432/bench --pgbench
        """
    )

    @Option(help: "postgres://… or sqlite:path (default: a new SQLite file in a temporary directory).")
    var databaseURL: String?
    @Option(help: "Sessions per concurrency level (5 messages each).") var sessions = 2_000
    @Option(help: "Comma-separated concurrency levels (sessions in flight).") var concurrency = "16,64,256"
    @Option(help: "Turn-worker loops in this process (default: 1 on PostgreSQL, 2 on SQLite — each store's best on a 2-core machine that also runs the database; see docs/benchmarks.md).")
    var workers: Int?
    @Option(help: "Lanes one worker loop leases per claim (amortises the claim transaction).") var lanesPerClaim = 256
    @Flag(inversion: .prefixedNo, help: "Run the outbox dispatcher during the run (it shares the database).") var dispatch = true
    @Option(help: "Deliveries the dispatcher keeps in flight.") var dispatchConcurrency = OutboxDispatcher.Configuration().concurrency
    @Option(help: "Tenant directory to deploy: flows/funnel-5 does exactly the workload's work per message; flows/demo-clinic fans each conversion out to three sinks (4.4 outbox rows per message instead of 1.8).")
    var tenant = "flows/funnel-5"
    @Flag(help: "Also run pgbench with the same SQL per message (postgres only; pgbench on PATH).") var pgbench = false
    @Option(help: "Seconds per pgbench run.") var pgbenchSeconds = 10
    @Option(name: .customLong("repeat"),
            help: "Runs per level. With --pgbench, each of ours is followed at once by pgbench at the same level, and the median of the pairs' shares is reported (the machine's speed drifts between minutes).")
    var repetitions = 1
    @Flag(help: "Print the figures as JSON.") var json = false

    func levels() throws -> [Int] {
        let values = concurrency.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 >= 1 }) else { throw ValidationError("--concurrency must list positive integers, e.g. 16,64,256") }
        return values
    }

    func validate() throws {
        guard sessions >= 1 else { throw ValidationError("--sessions must be at least 1") }
        guard (workers ?? 1) >= 1 else { throw ValidationError("--workers must be at least 1") }
        guard repetitions >= 1 else { throw ValidationError("--repeat must be at least 1") }
        guard dispatchConcurrency >= 1 else { throw ValidationError("--dispatch-concurrency must be at least 1") }
        _ = try levels()
    }

    func run() async throws {
        BenchSetup.bootstrapLogging()
        let url = try BenchSetup.storeURL(databaseURL, name: "funnel")
        var results: [FunnelRound] = []
        var problems: [String] = []
        var pg: [PgbenchFigure] = []
        var pgbenchURL: String?
        if pgbench, case .postgres(let text) = url { pgbenchURL = text }
        // One loop on PostgreSQL: on a machine whose cores the database shares, a second loop
        // halves every claim and commit batch and doubles their fixed costs (planning, function
        // call, WAL flush) for no parallelism left to gain; SQLite's single writer is in-process,
        // and a second loop prepares the next batch while it writes.
        let loops: Int
        if let workers {
            loops = workers
        } else if case .postgres = url {
            loops = 1
        } else {
            loops = 2
        }
        for c in try levels() {
            var shares: [Double] = []
            for _ in 0..<repetitions {
                // pgbench's tables are vacuumed and analysed before it runs; ours get the same
                // (untimed), as autovacuum would have done on a database in service.
                if let pgbenchURL { try Pgbench.vacuum(url: pgbenchURL) }
                let run = FunnelRun(url: url, sessions: sessions, concurrency: c, workers: loops, lanesPerClaim: lanesPerClaim, dispatch: dispatch,
                                    dispatchConcurrency: dispatchConcurrency, tenant: tenant)
                let (round, roundProblems) = try await run.run()
                results.append(round)
                problems += roundProblems
                if !json { round.printLine() }
                guard let pgbenchURL else { continue }
                let figure = try Pgbench.run(url: pgbenchURL, clients: c, seconds: pgbenchSeconds)
                pg.append(figure)
                let share = 100 * round.messagesPerSecond / max(1, figure.tps)
                shares.append(share)
                if !json {
                    print(String(format: "pgbench (same SQL) C=%d: %.0f transactions/s, latency avg %.2f ms → ours %.0f %% of it (target ≥ 70 %%)",
                                 c, figure.tps, figure.latencyAverageMS, share))
                }
            }
            if !json, shares.count > 1 {
                let listed = shares.map { String(format: "%.0f", $0) }.joined(separator: ", ")
                print(String(format: "C=%d: median share %.0f %% of pgbench over %d pairs (%@ %%)", c, Self.median(shares), shares.count, listed))
            }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(FunnelReport(store: url.redactedDescription, rounds: results, pgbench: pg)), as: UTF8.self))
        }
        if !problems.isEmpty {
            for problem in problems.prefix(20) { FileHandle.standardError.write(Data("problem: \(problem)\n".utf8)) }
            FileHandle.standardError.write(Data("\(problems.count) problem(s): the run is not valid\n".utf8))
            throw ExitCode(1)
        }
    }
}

extension DurableFunnelBenchmark {
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

struct FunnelRound: Codable {
    var store: String
    var dispatcher: Bool
    var concurrency: Int
    var sessions: Int
    var messages: Int
    var seconds: Double
    var messagesPerSecond: Double
    var p50MS: Double
    var p99MS: Double
    var peakRSSMB: Double
    /// Outbox rows not yet delivered when the last message committed, and the seconds the
    /// dispatcher then took to deliver them.
    var outboxBacklog: Int
    var drainSeconds: Double

    func printLine() {
        print(String(format: "funnel-5 %@%@ C=%d: %d messages in %.2f s = %.0f msgs/s; ingest→commit p50 %.2f ms, p99 %.2f ms; peak RSS %.0f MB%@",
                     store, dispatcher ? "" : " (no dispatcher)", concurrency, messages, seconds, messagesPerSecond, p50MS, p99MS, peakRSSMB,
                     dispatcher ? String(format: "; outbox backlog at the end %d rows, delivered in %.2f s", outboxBacklog, drainSeconds) : ""))
    }
}

struct FunnelReport: Codable {
    var store: String
    var rounds: [FunnelRound]
    var pgbench: [PgbenchFigure]
}

/// Closes each session's loop: the driver waits for the commit of the message it just appended.
actor CommitWaiters {
    private var waiting: [String: CheckedContinuation<UInt64, Never>] = [:]
    private var early: [String: UInt64] = [:]
    private(set) var finalStates: [String: SessionState] = [:]

    func wait(for key: String) async -> UInt64 {
        if let at = early.removeValue(forKey: key) { return at }
        return await withCheckedContinuation { waiting[key] = $0 }
    }

    func committed(_ key: String, state: SessionState?, at: UInt64) {
        if let state { finalStates[state.phoneHash] = state }
        if let continuation = waiting.removeValue(forKey: key) {
            continuation.resume(returning: at)
        } else {
            early[key] = at
        }
    }
}

/// Hands out session numbers to the C driver tasks.
actor SessionCounter {
    private var next = 0
    let total: Int
    init(total: Int) { self.total = total }
    func take() -> Int? {
        guard next < total else { return nil }
        defer { next += 1 }
        return next
    }
}

struct FunnelRun {
    var url: StoreURL
    var sessions: Int
    var concurrency: Int
    var workers: Int
    var lanesPerClaim: Int
    var dispatch: Bool
    var dispatchConcurrency: Int
    var tenant: String

    func run() async throws -> (FunnelRound, [String]) {
        let logger = Logger(label: "arriwa.bench")
        let store = try await StoreURL.open(url, logger: logger)
        try await store.migrate()
        let deployments = Deployments(store: store, logger: logger)
        let record = try await deployments.deploy(directory: tenant, now: Int64(Date().timeIntervalSince1970 * 1000))
        let tenantID = record.tenant
        let runID = UUID().uuidString.prefix(8).lowercased()
        // Fresh lead numbers each run (runs are seconds apart): returning leads would take another path.
        let runDigits = 100 + Int(Date().timeIntervalSince1970) % 900
        let waiters = CommitWaiters()
        let signal = WakeSignal()
        let dispatcher = OutboxDispatcher(store: store, destinations: Destinations(), configuration: .init(concurrency: dispatchConcurrency),
                                          logger: logger)
        let worker = TurnWorker(store: store, deployments: deployments,
                                configuration: .init(owner: "bench-\(runID)", concurrency: workers, lanesPerClaim: lanesPerClaim, idlePoll: .milliseconds(20),
                                                     onCommit: { entry, state, _ in
                                                         await waiters.committed(entry.item.dedupeKey, state: state, at: monotonicNanos())
                                                     }),
                                signal: signal, logger: logger, handoff: dispatch ? dispatcher : nil)
        let group = ServiceGroup(configuration: .init(services: dispatch ? [dispatcher, worker] : [worker], gracefulShutdownSignals: [], logger: logger))
        let services = Task { try await group.run() }

        let counter = SessionCounter(total: sessions)
        let start = monotonicNanos()
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var mine: [Double] = []
                    while let s = await counter.take() {
                        let phone = "+7\(runDigits)\(String(format: "%07d", s))"
                        let phoneHash = Phone.hash(phone) ?? phone
                        for (k, step) in Funnel5.steps.enumerated() {
                            let id = "wamid.\(runID).\(s).\(k)"
                            let at = Int64(Date().timeIntervalSince1970 * 1000)
                            let contact = Contact(subscriberID: "", phoneHash: phoneHash, profileName: "Lead \(s)")
                            let message = InboundMessage(id: id, kind: step.kind, text: step.text, replyID: step.replyID,
                                                         replyTitle: step.replyTitle, receivedAt: at, contact: contact)
                            let ingest = monotonicNanos()
                            _ = try await store.appendInbox(InboxItem(tenant: tenantID, lane: phoneHash, dedupeKey: id, kind: .message,
                                                                      event: .inbound(message), receivedAt: at))
                            await signal.wake()
                            let committed = await waiters.wait(for: id)
                            mine.append(Double(committed &- ingest) / 1e6)
                        }
                    }
                    return mine
                }
            }
            var all: [Double] = []
            for try await part in group { all += part }
            return all
        }
        let seconds = Double(monotonicNanos() - start) / 1e9
        // What the dispatcher still had to deliver when the last message committed, and how long
        // it took to finish (so a run leaves no backlog to the next, and a dispatcher that falls
        // behind shows).
        let backlog = (try? await store.outboxBacklog()) ?? -1
        let drainStart = monotonicNanos()
        if dispatch {
            while (try? await store.outboxBacklog()) ?? 0 > 0, monotonicNanos() - drainStart < 60_000_000_000 {
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        let drainSeconds = Double(monotonicNanos() - drainStart) / 1e9
        await group.triggerGracefulShutdown()
        _ = try? await services.value

        // Every session must have ended qualified with Q1..Q4 and COMPLETE emitted once each.
        var problems: [String] = []
        let states = await waiters.finalStates
        if states.count != sessions { problems.append("C=\(concurrency): \(states.count) sessions seen, \(sessions) expected") }
        for state in states.values.prefix(sessions) {
            if state.status != .ended || state.outcome != "qualified" {
                problems.append("C=\(concurrency) \(state.id): status \(state.status.rawValue), outcome \(state.outcome ?? "nil")")
            }
        }
        if let sample = states.values.first {
            let events = try await store.eventLog(tenant: tenantID, sessionID: sample.id, limit: 100).map(\.event)
            let qualify = events.filter { $0.hasPrefix("QUALIFY_") }
            // funnel-5 emits QUALIFY_Q1..Q4; the demo clinic adds QUALIFY_COMPLETE.
            if qualify != Funnel5.qualifyEvents && qualify != Array(Funnel5.qualifyEvents.prefix(4)) { problems.append("C=\(concurrency) \(sample.id): emitted \(qualify)") }
        }
        try? await store.shutdown()

        let sorted = latencies.sorted()
        func percentile(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
        }
        let messages = sessions * Funnel5.steps.count
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return (FunnelRound(store: url.redactedDescription, dispatcher: dispatch, concurrency: concurrency, sessions: sessions, messages: messages, seconds: seconds,
                            messagesPerSecond: Double(messages) / seconds, p50MS: percentile(0.50), p99MS: percentile(0.99),
                            peakRSSMB: Double(usage.ru_maxrss) / 1024, outboxBacklog: backlog, drainSeconds: drainSeconds), problems)
    }
}
