import ArriwaCore
import ArriwaStore
import ArriwaTestSupport
import Foundation
import Logging
import Testing

/// `arriwa outbox` on a real SQLite file: the per-sink backlog, failures with the remote's own
/// error, and a replay limited to one sink — run as the built binary, as an operator would.
@Suite("arriwa outbox (CLI)")
struct OutboxCLITests {
    @Test func showsBacklogPerSinkWithTheRemotesErrorAndReplaysOneSink() async throws {
        let binary = try #require(BuiltBinary.arriwa?.path, "the arriwa binary was not found; run `swift build` first")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("arriwa-outbox-cli-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("a.db").path
        let url = "sqlite:\(path)"
        try await Self.seed(path: path)

        let summary = try Self.run(binary, ["outbox", "--database-url", url])
        #expect(summary.status == 0)
        for destination in ["capi", "audiences", "crm"] {
            #expect(summary.output.contains(destination), "summary names \(destination):\n\(summary.output)")
        }
        let dead = try Self.run(binary, ["outbox", "dead", "--database-url", url])
        #expect(dead.status == 0)
        #expect(dead.output.contains("Invalid parameter"), "the remote's error is shown:\n\(dead.output)")
        #expect(dead.output.contains("(#100)") || dead.output.contains("HTTP 400"), "\(dead.output)")

        let replay = try Self.run(binary, ["outbox", "replay", "--all-dead", "--destination", "capi", "--database-url", url])
        #expect(replay.status == 0, "\(replay.output)")
        let store = try await SQLiteStore.open(path: path, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        defer { Task { try? await store.shutdown() } }
        let rows = try await store.outbox(OutboxFilter(tenant: "acme", limit: 100))
        // The dead CAPI row is pending again; the dead audiences row was not touched.
        #expect(rows.first { $0.item.destination == "capi" && $0.item.key == "k-dead" }?.status == .pending)
        #expect(rows.first { $0.item.destination == "audiences" && $0.item.key == "k-dead" }?.status == .dead)
    }

    /// One turn's emissions to capi, audiences and crm; then one capi and one audiences row die
    /// with a remote error, one crm row is delivered.
    static func seed(path: String) async throws {
        let store = try await SQLiteStore.open(path: path, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        _ = try await store.migrate()
        let hash = try #require(Phone.hash("+15550100456"))
        let message = InboundMessage(id: "wamid.1", text: "Hi", receivedAt: 1, contact: Contact(subscriberID: "sub-1", phoneHash: hash))
        _ = try await store.appendInbox(InboxItem(tenant: "acme", lane: hash, dedupeKey: "wamid.1", kind: .message, event: .inbound(message), receivedAt: 1))
        let claim = try #require(try await store.claimLanes(owner: "W", limit: 1, perLane: 1, now: 10, leaseMillis: 60_000).first)
        var commit = TurnCommit(tenant: "acme", lane: hash, owner: "W", now: 20, consumed: claim.entries.map(\.seq), releaseLane: true)
        for key in ["k-dead", "k-ok"] {
            let emission = Emission(key: key, event: "QUALIFY_COMPLETE", stream: .GOOD, sinks: ["capi", "audiences", "crm"], sessionID: "s-1",
                                    subscriberID: "sub-1", phoneHash: hash, eventTime: 20, origin: "main/emit")
            commit.add(effects: [.emit(emission)])
        }
        _ = try await store.commitTurn(commit)
        let claimed = try await store.claimOutbox(owner: "D", limit: 100, now: 30, leaseMillis: 60_000)
        for row in claimed {
            let outcome: OutboxOutcome = row.item.key == "k-dead" && row.item.destination != "crm"
                ? .dead(error: "permanent: \(row.item.destination) answered HTTP 400: (#100) Invalid parameter")
                : .delivered(remoteID: row.item.destination == "crm" ? "kommo-lead:123" : "fbtrace:abc")
            try await store.completeOutbox(id: row.id, owner: "D", outcome: outcome, now: 40)
        }
        try await store.shutdown()
    }

    static func run(_ binary: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
