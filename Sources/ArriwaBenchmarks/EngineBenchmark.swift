import ArgumentParser
import ArriwaCore
import ArriwaRuntime
import ArriwaStore
import CMallocCounter
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// engine-only (../shared/bench/WORKLOAD.md): the funnel-5 message sequence — a first message,
/// then valid answers to Q1..Q4 — for S sessions against in-memory state, on one core.
///
/// Two paths, measured in the same run:
/// - `engine-only`: the pure interpreter. Sessions live in an array indexed by session number (the
///   store); per message: take the state out, `Engine.apply` on it (the rules classifier answers a
///   `.needsClassification`, as LocalRuntime's offline default does), put the new state back, check
///   the effects and drop them. Inbound messages are built before the clock starts.
/// - `LocalRuntime`: the same messages through `LocalRuntime` + `MemoryStore` (phone hashing,
///   subscriber lookup, two actors, the store's commit), from one task.
///
/// Every message's effects are checked as they come (one send, no engine error or handover, no
/// unexpected emission, QUALIFY_* in order), and every session after each round: status `ended`,
/// outcome `qualified`, exactly QUALIFY_Q1..Q4 + QUALIFY_COMPLETE, once each, in order.
struct EngineBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "engine-only: the funnel-5 sequence through the pure engine on one core (and through LocalRuntime).",
        discussion: """
        Reports messages/second (wall clock and CPU time), heap allocations per message (malloc calls in the timed loop / messages) and per-message latency p50/p99, for each round and as the median of the rounds.

        Target: ≥ 200,000 messages/s on one core for the engine-only path, release build (swift run -c release arriwa-bench engine).

        Exits 1 if any session does not end qualified with exactly QUALIFY_Q1..Q4 + QUALIFY_COMPLETE.
        """
    )

    @Option(help: "Sessions per round (5 messages each).") var sessions = 2_000
    @Option(help: "Measured rounds; the median is reported.") var rounds = 5
    @Option(help: "Warm-up sessions run through both paths before measuring.") var warmup = 200
    @Option(help: "Tenant directory.") var tenant = "flows/demo-clinic"
    @Flag(help: "Print the figures as JSON.") var json = false
    @Flag(help: "Measure only the engine-only path (skip LocalRuntime + MemoryStore).") var engineOnly = false

    static let target = 200_000.0

    func validate() throws {
        guard sessions >= 1 else { throw ValidationError("--sessions must be at least 1") }
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1") }
        guard warmup >= 0 else { throw ValidationError("--warmup must not be negative") }
    }

    func run() async throws {
        let program = try loadProgram()
        let engine = Engine(program: program)
        var problems: [String] = []

        // Warm-up: caches, lazy metadata, the allocator's free lists.
        if warmup > 0 {
            problems += EngineOnlyPath.run(engine: engine, sessions: warmup, label: "warm-up").problems
            if !engineOnly {
                problems += await RuntimePath.run(program: program, sessions: warmup, label: "warm-up").problems
            }
        }

        var engineRounds: [RoundFigures] = []
        var runtimeRounds: [RoundFigures] = []
        for round in 1...rounds {
            let e = EngineOnlyPath.run(engine: engine, sessions: sessions, label: "round \(round)")
            engineRounds.append(e.figures)
            problems += e.problems
            if !engineOnly {
                let r = await RuntimePath.run(program: program, sessions: sessions, label: "round \(round)")
                runtimeRounds.append(r.figures)
                problems += r.problems
            }
            if !json {
                FileHandle.standardError.write(Data("round \(round)/\(rounds) done\n".utf8))
            }
        }

        let report = Report(
            workload: "engine-only (funnel-5)", tenant: program.tenant.id, flowVersion: program.version,
            sessions: sessions, messagesPerSession: Funnel5.steps.count, rounds: rounds, warmupSessions: warmup,
            targetMessagesPerSecond: Self.target,
            engineOnly: PathReport(rounds: engineRounds),
            localRuntime: engineOnly ? nil : PathReport(rounds: runtimeRounds),
            verified: problems.isEmpty, problems: Array(problems.prefix(20)))
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(report.table)
        }
        if !problems.isEmpty {
            let shown = problems.prefix(20).joined(separator: "\n  ")
            FileHandle.standardError.write(Data("verification FAILED (\(problems.count) problems):\n  \(shown)\n".utf8))
            throw ExitCode(1)
        }
    }

    func loadProgram() throws -> Program {
        let project = ProjectLoader.loadTenant(directory: tenant)
        guard project.unreadable.isEmpty, project.tenant != nil else {
            let why = project.unreadable.isEmpty ? "no readable tenant.yaml" : project.unreadable.map { "\($0)" }.joined(separator: "; ")
            throw ValidationError("cannot load the tenant at \(tenant): \(why)")
        }
        let errors = (project.diagnostics + Validator.validate(project)).filter { $0.severity == .error }
        guard errors.isEmpty else {
            throw ValidationError("tenant \(tenant) does not validate:\n" + errors.map(\.description).joined(separator: "\n"))
        }
        do {
            return try Program.compile(project)
        } catch {
            throw ValidationError("tenant \(tenant) does not compile: \(error)")
        }
    }
}

// MARK: - The workload

/// The funnel-5 sequence on the demo clinic: "Hi", then valid answers to Q1..Q4.
enum Funnel5 {
    struct Message {
        var kind: InboundMessage.Kind
        var text: String
        var replyID: String?
        var replyTitle: String?
    }

    static let steps: [Message] = [
        Message(kind: .text, text: "Hi"),
        Message(kind: .button, text: "", replyID: "implants", replyTitle: "Implants"),
        Message(kind: .list, text: "", replyID: "this_month", replyTitle: "This month"),
        Message(kind: .text, text: "2000"),
        Message(kind: .text, text: "Moscow"),
    ]
    static let labels = ["Hi", "Q1", "Q2", "Q3", "Q4"]
    static let qualifyEvents = ["QUALIFY_Q1", "QUALIFY_Q2", "QUALIFY_Q3", "QUALIFY_Q4", "QUALIFY_COMPLETE"]
    /// Emissions the happy path may make besides the QUALIFY_* ones.
    static let otherEvents: Set<String> = ["FUNNEL_STARTED"]

    /// 2026-03-02T09:00:00Z.
    static let t0: Int64 = 1_772_442_000_000
    /// Virtual time between a session's messages (well inside the 15-minute nudge).
    static let gapMS: Int64 = 20_000

    /// A running check of one session's effects, fed message by message in order, so the effects
    /// can be dropped after each turn (keeping every effect alive grew the heap by hundreds of MB
    /// and measured page faults, not the engine). Checks the same things a full replay would:
    /// one send per message, no engine error or handover, no unexpected emission, and the QUALIFY_*
    /// emissions exactly QUALIFY_Q1..Q4 + QUALIFY_COMPLETE, once each, in order.
    struct Check {
        /// How many of `qualifyEvents` were seen, in order.
        var qualified = 0
        var problems: [String] = []

        /// The effects of message `k` (0 = "Hi").
        mutating func message(_ k: Int, _ effects: [Effect], who: @autoclosure () -> String) {
            var sends = 0
            for effect in effects {
                switch effect {
                case .send: sends += 1
                case .emit(let emission):
                    if qualified < qualifyEvents.count, emission.event == qualifyEvents[qualified] {
                        qualified += 1
                    } else if emission.event.hasPrefix("QUALIFY_") {
                        problems.append("\(who()): emitted \(emission.event) at message \(labels[k]) "
                            + "after \(qualifyEvents.prefix(qualified)) (want \(qualifyEvents), once each, in order)")
                    } else if !otherEvents.contains(emission.event) {
                        problems.append("\(who()): unexpected emission \(emission.event) at message \(labels[k])")
                    }
                case .error(let failure):
                    problems.append("\(who()): engine error \(failure.code.rawValue) at message \(labels[k]): \(failure.message)")
                case .handover:
                    problems.append("\(who()): handover at message \(labels[k])")
                default: break
                }
            }
            if sends != 1 { problems.append("\(who()): \(sends) sends at message \(labels[k]) (want 1)") }
        }

        /// The session's final state, after its last message.
        func finish(state: SessionState?, who: String) -> [String] {
            var out = problems
            guard let state else { return out + ["\(who): no session state"] }
            if state.status != .ended || state.outcome != "qualified" {
                out.append("\(who): status \(state.status.rawValue), outcome \(state.outcome ?? "nil") (want ended / qualified)")
            }
            if qualified != qualifyEvents.count {
                out.append("\(who): emitted only \(qualifyEvents.prefix(qualified)) (want \(qualifyEvents), once each, in order)")
            }
            return out
        }
    }
}

// MARK: - engine-only

enum EngineOnlyPath {
    static func run(engine: Engine, sessions n: Int, label: String) -> (figures: RoundFigures, problems: [String]) {
        let steps = Funnel5.steps
        let m = steps.count
        // The inbound messages, as a webhook decoder would hand them over: built before timing.
        var inbound: [EngineEvent] = []
        inbound.reserveCapacity(n * m)
        for (k, step) in steps.enumerated() {
            for s in 0..<n {
                let contact = Contact(subscriberID: "sub-\(s)", phoneHash: "phone-\(s)", language: "en")
                inbound.append(.inbound(InboundMessage(
                    id: "wamid.\(s).\(k)", kind: step.kind, text: step.text, replyID: step.replyID, replyTitle: step.replyTitle,
                    receivedAt: Funnel5.t0 + Int64(k) * Funnel5.gapMS, contact: contact)))
            }
        }
        // The session store: state by session number. A turn takes the state out (leaving nil) and
        // puts the new one back, so the store never holds a second reference while the engine runs.
        var states = [SessionState?](repeating: nil, count: n)
        var checks = [Funnel5.Check](repeating: Funnel5.Check(), count: n)
        var latencies = [UInt64](repeating: 0, count: n * m)
        var effectCount = 0
        var classifications = 0
        var incomplete = 0
        var elapsed: UInt64 = 0
        var cpu: UInt64 = 0

        let mallocBefore = arriwa_malloc_count()
        for k in 0..<m {
            let now = Funnel5.t0 + Int64(k) * Funnel5.gapMS
            let cpuStart = cpuNanos(CLOCK_THREAD_CPUTIME_ID)
            let phaseStart = monotonicNanos()
            for s in 0..<n {
                let started = monotonicNanos()
                let i = k * n + s
                // Handed over to `apply`, which changes it in place (the store holds no other reference).
                var state = states[s].take()
                var outcome = engine.apply(&state, inbound[i], now: now)
                if case .needsClassification(let request) = outcome {
                    // The rules-only answer, as LocalRuntime's offline default gives (`state` is as before).
                    classifications += 1
                    outcome = engine.apply(&state, inbound[i], now: now,
                                           classification: request.rules ?? RulesClassifier().classify(request))
                }
                if case .completed(let effects) = outcome {
                    effectCount &+= effects.count
                    // Checked now, then dropped (as the runtime does once they are in its outbox).
                    checks[s].message(k, effects, who: "engine-only \(label), session \(s)")
                } else {
                    incomplete += 1
                }
                states[s] = state
                latencies[i] = monotonicNanos() - started
            }
            elapsed += monotonicNanos() - phaseStart
            cpu += cpuNanos(CLOCK_THREAD_CPUTIME_ID) - cpuStart
        }
        let allocations = arriwa_malloc_count() - mallocBefore

        var problems: [String] = []
        if incomplete > 0 { problems.append("engine-only \(label): \(incomplete) turns did not complete") }
        for s in 0..<n {
            problems += checks[s].finish(state: states[s], who: "engine-only \(label), session \(s)")
        }
        let figures = RoundFigures(messages: n * m, nanoseconds: elapsed, cpuNanoseconds: cpu, allocations: allocations,
                                   latencies: latencies, perStep: m, sessions: n, effects: effectCount,
                                   classifierCalls: classifications)
        return (figures, problems)
    }
}

// MARK: - LocalRuntime + MemoryStore

/// Deterministic subscriber ids for the runtime.
final class SubscriberIDs: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0

    func make() -> String {
        lock.lock()
        defer { lock.unlock() }
        next += 1
        return "sub-\(next)"
    }
}

enum RuntimePath {
    static func run(program: Program, sessions n: Int, label: String) async -> (figures: RoundFigures, problems: [String]) {
        let steps = Funnel5.steps
        let m = steps.count
        let ids = SubscriberIDs()
        let runtime = LocalRuntime(program: program, startAt: Funnel5.t0, configuration: .init(newSubscriberID: { ids.make() }))
        let phones = (0..<n).map { "+7 900 \(1_000_000 + $0)" }
        var sessionIDs = [String?](repeating: nil, count: n)
        var checks = [Funnel5.Check](repeating: Funnel5.Check(), count: n)
        var latencies = [UInt64](repeating: 0, count: n * m)
        var effectCount = 0
        var elapsed: UInt64 = 0
        var cpu: UInt64 = 0
        var allocations: UInt64 = 0

        for (k, step) in steps.enumerated() {
            if k > 0 { _ = await runtime.advance(by: Funnel5.gapMS) }
            let mallocBefore = arriwa_malloc_count()
            // Actor hops may move the task between threads: the process's CPU time (the other
            // threads are idle).
            let cpuStart = cpuNanos(CLOCK_PROCESS_CPUTIME_ID)
            let phaseStart = monotonicNanos()
            for s in 0..<n {
                let started = monotonicNanos()
                let record = await runtime.inbound(phone: phones[s], kind: step.kind, text: step.text, replyID: step.replyID,
                                                   replyTitle: step.replyTitle, language: "en", messageID: "wamid.\(s).\(k)")
                let i = k * n + s
                sessionIDs[s] = record.sessionID ?? sessionIDs[s]
                effectCount &+= record.effects.count
                checks[s].message(k, record.effects, who: "LocalRuntime \(label), session \(s)")
                latencies[i] = monotonicNanos() - started
            }
            elapsed += monotonicNanos() - phaseStart
            cpu += cpuNanos(CLOCK_PROCESS_CPUTIME_ID) - cpuStart
            allocations += arriwa_malloc_count() - mallocBefore
        }

        var problems: [String] = []
        for s in 0..<n {
            let state: SessionState? = if let id = sessionIDs[s] { await runtime.store.session(id: id) } else { nil }
            problems += checks[s].finish(state: state, who: "LocalRuntime \(label), session \(s)")
        }
        let duplicates = await runtime.store.duplicates
        if !duplicates.isEmpty {
            problems.append("LocalRuntime \(label): \(duplicates.count) duplicate outbox keys, e.g. \(duplicates[0])")
        }
        let figures = RoundFigures(messages: n * m, nanoseconds: elapsed, cpuNanoseconds: cpu, allocations: allocations,
                                   latencies: latencies, perStep: m, sessions: n, effects: effectCount, classifierCalls: 0)
        return (figures, problems)
    }
}

// MARK: - Figures

@inline(__always)
func monotonicNanos() -> UInt64 { cpuNanos(CLOCK_MONOTONIC) }

/// A clock in nanoseconds: CLOCK_MONOTONIC, or the CPU time of this thread / process (what to read
/// on a shared, noisy machine: time spent descheduled does not count).
@inline(__always)
func cpuNanos(_ clock: clockid_t) -> UInt64 {
    var ts = timespec()
    clock_gettime(clock, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

struct RoundFigures: Codable {
    var messages: Int
    var seconds: Double
    var messagesPerSecond: Double
    /// CPU time of the timed loops (thread CPU time for engine-only, process CPU time for LocalRuntime).
    var cpuSeconds: Double
    var messagesPerCPUSecond: Double
    var allocationsPerMessage: Double
    var p50Micros: Double
    var p99Micros: Double
    var maxMicros: Double
    /// Mean latency of each message of the sequence (Hi, Q1..Q4), µs.
    var meanMicrosByMessage: [Double]
    var effectsPerMessage: Double
    /// Turns that needed the classifier outside the engine (`.needsClassification`).
    var classifierCalls: Int

    init(messages: Int, nanoseconds: UInt64, cpuNanoseconds: UInt64, allocations: UInt64, latencies: [UInt64], perStep: Int,
         sessions: Int, effects: Int, classifierCalls: Int) {
        self.messages = messages
        seconds = Double(nanoseconds) / 1e9
        messagesPerSecond = seconds > 0 ? Double(messages) / seconds : 0
        cpuSeconds = Double(cpuNanoseconds) / 1e9
        messagesPerCPUSecond = cpuSeconds > 0 ? Double(messages) / cpuSeconds : 0
        allocationsPerMessage = Double(allocations) / Double(max(messages, 1))
        let sorted = latencies.sorted()
        func percentile(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            let rank = min(sorted.count - 1, max(0, Int((Double(sorted.count) * p).rounded(.up)) - 1))
            return Double(sorted[rank]) / 1_000
        }
        p50Micros = percentile(0.50)
        p99Micros = percentile(0.99)
        maxMicros = Double(sorted.last ?? 0) / 1_000
        meanMicrosByMessage = (0..<perStep).map { k in
            let slice = latencies[(k * sessions)..<((k + 1) * sessions)]
            return Double(slice.reduce(0, +)) / Double(max(sessions, 1)) / 1_000
        }
        effectsPerMessage = Double(effects) / Double(max(messages, 1))
        self.classifierCalls = classifierCalls
    }
}

struct PathReport: Codable {
    var rounds: [RoundFigures]
    var median: Median

    struct Median: Codable {
        var messagesPerSecond: Double
        var messagesPerCPUSecond: Double
        var allocationsPerMessage: Double
        var p50Micros: Double
        var p99Micros: Double
        var meanMicrosByMessage: [Double]
    }

    init(rounds: [RoundFigures]) {
        self.rounds = rounds
        func middle(_ values: [Double]) -> Double {
            let sorted = values.sorted()
            guard !sorted.isEmpty else { return 0 }
            let mid = sorted.count / 2
            return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
        }
        let steps = rounds.first?.meanMicrosByMessage.count ?? 0
        median = Median(
            messagesPerSecond: middle(rounds.map(\.messagesPerSecond)),
            messagesPerCPUSecond: middle(rounds.map(\.messagesPerCPUSecond)),
            allocationsPerMessage: middle(rounds.map(\.allocationsPerMessage)),
            p50Micros: middle(rounds.map(\.p50Micros)),
            p99Micros: middle(rounds.map(\.p99Micros)),
            meanMicrosByMessage: (0..<steps).map { k in middle(rounds.map { $0.meanMicrosByMessage[k] }) })
    }
}

struct Report: Codable {
    var workload: String
    var tenant: String
    var flowVersion: String
    var sessions: Int
    var messagesPerSession: Int
    var rounds: Int
    var warmupSessions: Int
    var targetMessagesPerSecond: Double
    var engineOnly: PathReport
    var localRuntime: PathReport?
    var verified: Bool
    var problems: [String]

    var table: String {
        var lines: [String] = []
        lines.append("arriwa-bench engine — \(workload): tenant \(tenant) (version \(flowVersion)), \(sessions) sessions × "
            + "\(messagesPerSession) messages per round, \(rounds) rounds after \(warmupSessions) warm-up sessions, one task")
        lines.append("")
        let header = pad("path", 14) + pad("round", 8, right: true) + pad("msgs/s", 12, right: true) + pad("msgs/cpu-s", 12, right: true)
            + pad("allocs/msg", 12, right: true) + pad("p50 µs", 10, right: true) + pad("p99 µs", 10, right: true)
            + pad("max µs", 10, right: true)
        lines.append(header)
        lines.append(String(repeating: "-", count: 88))
        func rows(_ name: String, _ path: PathReport) {
            for (i, r) in path.rounds.enumerated() {
                lines.append(pad(name, 14) + pad("\(i + 1)", 8, right: true) + pad(fmt(r.messagesPerSecond, 0), 12, right: true)
                    + pad(fmt(r.messagesPerCPUSecond, 0), 12, right: true)
                    + pad(fmt(r.allocationsPerMessage, 1), 12, right: true) + pad(fmt(r.p50Micros, 2), 10, right: true)
                    + pad(fmt(r.p99Micros, 2), 10, right: true) + pad(fmt(r.maxMicros, 1), 10, right: true))
            }
            let m = path.median
            lines.append(pad(name, 14) + pad("median", 8, right: true) + pad(fmt(m.messagesPerSecond, 0), 12, right: true)
                + pad(fmt(m.messagesPerCPUSecond, 0), 12, right: true)
                + pad(fmt(m.allocationsPerMessage, 1), 12, right: true) + pad(fmt(m.p50Micros, 2), 10, right: true)
                + pad(fmt(m.p99Micros, 2), 10, right: true))
            lines.append(String(repeating: "-", count: 88))
        }
        rows("engine-only", engineOnly)
        if let localRuntime { rows("LocalRuntime", localRuntime) }
        lines.append("")
        lines.append("mean µs per message (median of rounds):" + Funnel5.labels.map { pad($0, 9, right: true) }.joined())
        func byMessage(_ name: String, _ path: PathReport) {
            lines.append(pad("  " + name, 39) + path.median.meanMicrosByMessage.map { pad(fmt($0, 2), 9, right: true) }.joined())
        }
        byMessage("engine-only", engineOnly)
        if let localRuntime { byMessage("LocalRuntime", localRuntime) }
        lines.append("")
        let engine = engineOnly.median.messagesPerSecond
        lines.append("target ≥ \(fmt(targetMessagesPerSecond, 0)) msgs/s on one core: engine-only median \(fmt(engine, 0)) msgs/s — "
            + (engine >= targetMessagesPerSecond ? "MET" : "BELOW TARGET") + " (\(fmt(engine / targetMessagesPerSecond * 100, 0))%); "
            + "per CPU-second \(fmt(engineOnly.median.messagesPerCPUSecond, 0))")
        if let localRuntime {
            let ratio = localRuntime.median.messagesPerSecond / max(engine, 1)
            lines.append("LocalRuntime + MemoryStore runs at \(fmt(ratio * 100, 0))% of the engine-only rate")
        }
        lines.append(verified
            ? "verified: every session ended qualified with one send per message and QUALIFY_Q1..Q4 + QUALIFY_COMPLETE once each"
            : "verification FAILED: \(problems.count) problems (first: \(problems.first ?? "?"))")
        return lines.joined(separator: "\n")
    }

    private func fmt(_ value: Double, _ decimals: Int) -> String { String(format: "%.\(decimals)f", value) }

    private func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let count = text.count
        guard count < width else { return text + (right ? "" : " ") }
        let fill = String(repeating: " ", count: width - count)
        return right ? fill + text : text + fill
    }
}
