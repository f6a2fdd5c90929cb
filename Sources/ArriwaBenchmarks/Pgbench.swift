import ArriwaCore
import ArriwaRuntime
import ArriwaStore
import Foundation

struct PgbenchFigure: Codable {
    var clients: Int
    var tps: Double
    var latencyAverageMS: Double
}

/// The physical limit funnel-5 is compared with (../shared/bench/WORKLOAD.md): the same SQL per
/// message — insert an inbox row with a unique id; select and update the session row; insert two
/// outbox rows; delete one timer row; insert one timer row — in one transaction, run by pgbench
/// on the same server, into copies of our own tables (`LIKE … INCLUDING ALL`: same columns,
/// indexes and storage settings) with payloads of the real size (a demo session's state and
/// effects after its second message, JSON-encoded as the store encodes them).
enum Pgbench {
    static func run(url: String, clients: Int, seconds: Int, sessions: Int = 2_000, tenantDirectory: String = "flows/demo-clinic") throws -> PgbenchFigure {
        let payloads = try samplePayloads(tenantDirectory: tenantDirectory)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("arriwa-pgbench-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }

        let setup = """
            DROP TABLE IF EXISTS pgb_inbox, pgb_sessions, pgb_outbox, pgb_timers, pgb_payloads;
            CREATE TABLE pgb_inbox (LIKE inbox INCLUDING ALL);
            CREATE TABLE pgb_sessions (LIKE sessions INCLUDING ALL);
            CREATE TABLE pgb_outbox (LIKE outbox INCLUDING ALL);
            CREATE TABLE pgb_timers (LIKE timers INCLUDING ALL);
            CREATE TABLE pgb_payloads (name TEXT PRIMARY KEY, doc TEXT NOT NULL);
            INSERT INTO pgb_payloads VALUES ('state', \(literal(payloads.state))), ('event', \(literal(payloads.event))),
              ('send', \(literal(payloads.send))), ('emit', \(literal(payloads.emit))),
              ('timer', \(literal(payloads.timer))), ('timer_event', \(literal(payloads.timerEvent)));
            INSERT INTO pgb_sessions (tenant, id, lane, subscriber_id, flow_version, status, turn, wait_token, last_inbound_at, opted_out,
                                      snoozed_until, human_active, attribution, referral_raw, state, created_at, updated_at)
              SELECT 'pgb', 'sess-' || g, 'lane-' || g, 'sub-' || g, 'v1', 'waiting', 1, 1, 0, false, NULL, false, '{}'::jsonb, NULL,
                     \(literal(payloads.state)), 0, 0
              FROM generate_series(1, \(sessions)) AS g;
            INSERT INTO pgb_timers (tenant, id, lane, session_id, due_at, spec, dedupe_key, event)
              SELECT 'pgb', 'timer-' || g, 'lane-' || g, 'sess-' || g, 900000, \(literal(payloads.timer)), 'timer-' || g,
                     \(literal(payloads.timerEvent))
              FROM generate_series(1, \(sessions)) AS g;
            VACUUM ANALYZE pgb_inbox, pgb_sessions, pgb_outbox, pgb_timers, pgb_payloads;
            """
        try setup.write(to: dir.appendingPathComponent("setup.sql"), atomically: true, encoding: .utf8)
        try runTool("psql", ["-q", "-v", "ON_ERROR_STOP=1", "-f", dir.appendingPathComponent("setup.sql").path, url])

        // One message of funnel-5, as SQL. :s picks a session; ids are unique per transaction.
        let script = """
            \\set s random(1, \(sessions))
            BEGIN;
            INSERT INTO pgb_inbox (tenant, lane, dedupe_key, kind, event, received_at, status) VALUES ('pgb', 'lane-' || :s, 'wamid.' || :client_id || '.' || txid_current(), 'message', (SELECT doc FROM pgb_payloads WHERE name = 'event'), 0, 'done');
            SELECT state FROM pgb_sessions WHERE tenant = 'pgb' AND id = 'sess-' || :s FOR UPDATE;
            UPDATE pgb_sessions SET state = (SELECT doc FROM pgb_payloads WHERE name = 'state'), turn = turn + 1, status = 'waiting', updated_at = 1 WHERE tenant = 'pgb' AND id = 'sess-' || :s;
            INSERT INTO pgb_outbox (tenant, key, destination, session_id, lane, effect, available_at, status, attempts, next_attempt_at, created_at) VALUES ('pgb', 'send.' || txid_current(), 'channel', 'sess-' || :s, 'lane-' || :s, (SELECT doc FROM pgb_payloads WHERE name = 'send'), 0, 'pending', 0, 0, 0), ('pgb', 'emit.' || txid_current(), 'capi', 'sess-' || :s, 'lane-' || :s, (SELECT doc FROM pgb_payloads WHERE name = 'emit'), 0, 'pending', 0, 0, 0);
            DELETE FROM pgb_timers WHERE tenant = 'pgb' AND id = 'timer-' || :s;
            INSERT INTO pgb_timers (tenant, id, lane, session_id, due_at, spec, dedupe_key, event) VALUES ('pgb', 'timer-' || :s, 'lane-' || :s, 'sess-' || :s, 900000, (SELECT doc FROM pgb_payloads WHERE name = 'timer'), 'timer-' || :s || '@' || txid_current(), (SELECT doc FROM pgb_payloads WHERE name = 'timer_event'));
            END;

            """
        let scriptPath = dir.appendingPathComponent("funnel5.sql").path
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        // A transaction count per client, not `-T`: pgbench ends a timed run on SIGALRM, which a
        // child spawned from a Swift concurrency thread may inherit blocked (the run then never
        // ends). ~2,500 transactions/s is this machine's order of magnitude, so the run lasts
        // about `seconds`; the figure is pgbench's own transactions per second either way.
        let perClient = max(50, seconds * 2_500 / max(1, clients))
        let output = try runTool("pgbench", ["-n", "-M", "prepared", "-c", "\(clients)", "-j", "\(min(clients, 2))", "-t", "\(perClient)",
                                             "-f", scriptPath, url])
        _ = try? runTool("psql", ["-q", "-c", "DROP TABLE IF EXISTS pgb_inbox, pgb_sessions, pgb_outbox, pgb_timers, pgb_payloads", url])
        guard let tps = number(after: "tps = ", in: output) else { throw PgbenchError("pgbench printed no tps:\n\(output)") }
        return PgbenchFigure(clients: clients, tps: tps, latencyAverageMS: number(after: "latency average = ", in: output) ?? 0)
    }

    /// VACUUM ANALYZE of the database (untimed; pgbench's own setup does it for its tables).
    static func vacuum(url: String) throws {
        try runTool("psql", ["-q", "-v", "ON_ERROR_STOP=1", "-c", "VACUUM ANALYZE", url])
    }

    struct Payloads {
        var state: String
        var event: String
        var send: String
        var emit: String
        var timer: String
        var timerEvent: String
    }

    /// Real payloads: the demo funnel's state and effects after a first message and the Q1 answer.
    static func samplePayloads(tenantDirectory: String) throws -> Payloads {
        let project = ProjectLoader.loadTenant(directory: tenantDirectory)
        let engine = Engine(program: try Program.compile(project))
        let encoder = JSONEncoder()
        func json(_ value: some Encodable) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }
        let contact = Contact(subscriberID: "sub-1", phoneHash: Phone.hash("+79990000001") ?? "hash", profileName: "Lead")
        var state: SessionState?
        var effects: [Effect] = []
        var lastEvent = EngineEvent.inbound(InboundMessage(id: "wamid.0", text: "Hi", receivedAt: Funnel5.t0, contact: contact))
        for (k, step) in Funnel5.steps.prefix(2).enumerated() {
            let at = Funnel5.t0 + Int64(k) * Funnel5.gapMS
            lastEvent = .inbound(InboundMessage(id: "wamid.\(k)", kind: step.kind, text: step.text, replyID: step.replyID,
                                                replyTitle: step.replyTitle, receivedAt: at, contact: contact))
            guard case .completed(let next, let produced) = engine.handle(state, lastEvent, now: at) else {
                throw PgbenchError("the demo funnel asked for a model classification; the sample needs the rules path")
            }
            state = next
            effects = produced
        }
        guard let state,
              let send = effects.first(where: { if case .send = $0 { true } else { false } }),
              let emit = effects.first(where: { if case .emit = $0 { true } else { false } }),
              case .schedule(let timer)? = effects.first(where: { if case .schedule = $0 { true } else { false } }) else {
            throw PgbenchError("the demo funnel's Q1 answer did not produce a send, an emit and a timer")
        }
        return Payloads(state: try json(state), event: try json(lastEvent), send: try json(send), emit: try json(emit),
                        timer: try json(timer), timerEvent: try json(EngineEvent.timer(TimerFired(timer))))
    }

    static func literal(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }

    static func number(after marker: String, in text: String) -> Double? {
        guard let range = text.range(of: marker) else { return nil }
        return Double(text[range.upperBound...].prefix { $0.isNumber || $0 == "." })
    }

    /// Runs psql or pgbench (PATH, then PostgreSQL 15's bin directory) and returns its stdout.
    @discardableResult
    static func runTool(_ name: String, _ arguments: [String]) throws -> String {
        let candidates = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/\(name)" }
            + ["/usr/lib/postgresql/15/bin/\(name)"]
        guard let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw PgbenchError("\(name) not found on PATH or in /usr/lib/postgresql/15/bin")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        // stderr to a file, not a second pipe: reading two pipes one after the other stalls the
        // tool as soon as it writes more errors than a pipe holds.
        let errorsURL = FileManager.default.temporaryDirectory.appendingPathComponent("arriwa-\(name)-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: errorsURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errorsURL) }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = try FileHandle(forWritingTo: errorsURL)
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errors = (try? Data(contentsOf: errorsURL)).map { Data($0.suffix(4_000)) } ?? Data()
        guard process.terminationStatus == 0 else {
            throw PgbenchError("\(name) exited \(process.terminationStatus): \(String(decoding: errors, as: UTF8.self))")
        }
        return String(decoding: output, as: UTF8.self)
    }
}

struct PgbenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
