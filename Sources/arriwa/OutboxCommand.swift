import ArgumentParser
import ArriwaCore
import ArriwaStore
import Foundation
import Logging

struct OutboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox",
        abstract: "Inspect and replay the outbox: sends, emissions and handovers waiting for delivery.",
        discussion: """
            Every effect of a turn (a WhatsApp send, a conversion event per sink, a handover) is \
            an outbox row, unique per (tenant, destination, idempotency key). The dispatcher \
            delivers rows, retrying technical failures at 1, 2, 4, 8, 16 s, and dead-letters a \
            row after the configured attempts. Here you see them and put dead ones back.

            EXAMPLES
              arriwa outbox                          # counts per status and backlog per destination
              arriwa outbox list --status pending
              arriwa outbox dead --tenant demo-clinic
              arriwa outbox retry 42 43
              arriwa outbox retry --all-dead --tenant demo-clinic
              arriwa outbox replay --all-dead --destination capi   # after fixing a sink's credentials

            Sinks (capi, audiences, crm) keep the remote's answer: Meta's fbtrace_id or error, the
            Kommo lead id, or `skipped: <why>` for rows deliberately not sent (see docs/conversions.md).
            """,
        subcommands: [Summary.self, List.self, Dead.self, Retry.self],
        defaultSubcommand: Summary.self
    )

    struct Filter: ParsableArguments {
        @Option(help: "Only this tenant.") var tenant: String?
        @Option(help: ArgumentHelp("Only this destination (channel, handover, or a sink name).", valueName: "name")) var destination: String?
        @Option(help: "At most this many rows.") var limit = 100
        @Option(help: ArgumentHelp("Output format: human or json.", valueName: "format")) var format = "human"

        func validate() throws {
            guard ["human", "json"].contains(format) else { throw ValidationError("--format must be human or json, not '\(format)'") }
            guard limit > 0 else { throw ValidationError("--limit must be positive") }
        }
    }

    struct Summary: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "summary",
            abstract: "Counts per status, and per destination (sink): backlog, retrying, dead, skipped, and the remote's last error.")
        @OptionGroup var store: StoreOptions
        @Option(help: "Only this tenant.") var tenant: String?

        func run() async throws {
            try await withStore(store) { store in
                let counts = try await store.outboxCounts(tenant: tenant)
                print("outbox\(tenant.map { " of \($0)" } ?? ""): " + OutboxStatus.allCases.map { "\($0.rawValue) \(counts[$0] ?? 0)" }.joined(separator: ", "))
                let pending = try await store.outbox(OutboxFilter(tenant: tenant, status: .pending, limit: 1_000_000))
                let dead = try await store.outbox(OutboxFilter(tenant: tenant, status: .dead, limit: 1_000_000))
                let delivered = try await store.outbox(OutboxFilter(tenant: tenant, status: .delivered, limit: 1_000_000))
                for line in OutboxCommand.destinationLines(pending: pending, dead: dead, delivered: delivered) { print(line) }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List outbox rows.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var filter: Filter
        @Option(help: ArgumentHelp("pending, delivered or dead.", valueName: "status")) var status: String?

        func validate() throws {
            if let status, OutboxStatus(rawValue: status) == nil {
                throw ValidationError("--status must be one of \(OutboxStatus.allCases.map(\.rawValue).joined(separator: ", ")), not '\(status)'")
            }
        }

        func run() async throws {
            try await OutboxCommand.list(store: store, filter: filter, status: status.flatMap(OutboxStatus.init(rawValue:)))
        }
    }

    struct Dead: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "dead", abstract: "List dead-lettered rows with the remote's last error.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var filter: Filter

        func run() async throws {
            try await OutboxCommand.list(store: store, filter: filter, status: .dead)
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "retry",
            abstract: "Put dead (or failing) rows back to pending, due now; the dispatcher delivers them again (alias: replay).",
            aliases: ["replay"]
        )
        @OptionGroup var store: StoreOptions
        @Argument(help: "Row ids (from `arriwa outbox list`).") var ids: [Int64] = []
        @Flag(help: "Every dead row (of --tenant, if given).") var allDead = false
        @Option(help: "With --all-dead: only this tenant.") var tenant: String?
        @Option(help: ArgumentHelp("With --all-dead: only this destination (e.g. capi).", valueName: "name")) var destination: String?

        func validate() throws {
            guard !ids.isEmpty || allDead else { throw ValidationError("name row ids or pass --all-dead") }
            guard ids.isEmpty || !allDead else { throw ValidationError("row ids and --all-dead exclude each other") }
        }

        func run() async throws {
            try await withStore(store) { store in
                var targets = ids
                if allDead { targets = try await store.outbox(OutboxFilter(tenant: tenant, status: .dead, destination: destination,
                                                                           limit: 1_000_000)).map(\.id) }
                let count = try await store.retryOutbox(ids: targets, now: OutboxCommand.nowMillis())
                print("\(count) of \(targets.count) row(s) back to pending")
                if count < targets.count { print("(the others were delivered, already pending, or do not exist)") }
            }
        }
    }

    static func list(store options: StoreOptions, filter: Filter, status: OutboxStatus?) async throws {
        try await withStore(options) { store in
            let rows = try await store.outbox(OutboxFilter(tenant: filter.tenant, status: status, destination: filter.destination, limit: filter.limit))
            if filter.format == "json" {
                let objects: [[String: Any]] = rows.map { row in
                    var object: [String: Any] = [
                        "id": row.id, "tenant": row.item.tenant, "key": row.item.key, "destination": row.item.destination,
                        "session": row.item.sessionID, "status": row.status.rawValue, "attempts": row.attempts,
                        "next_attempt_at": row.nextAttemptAt, "created_at": row.createdAt,
                    ]
                    if let error = row.lastError { object["last_error"] = error }
                    if let at = row.deliveredAt { object["delivered_at"] = at }
                    if let remote = row.remoteID { object["remote_id"] = remote }
                    return object
                }
                let data = try JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
                return
            }
            if rows.isEmpty {
                print("no rows")
                return
            }
            for row in rows {
                var line = "\(row.id)  \(row.status.rawValue)  \(row.item.tenant)  \(row.item.destination)  \(row.item.key)  attempts \(row.attempts)"
                if row.status == .pending { line += "  next \(time(row.nextAttemptAt))" }
                if let remote = row.remoteID { line += "  remote \(remote)" }
                print(line)
                if let error = row.lastError { print("    last error: \(error)") }
            }
        }
    }

    static func withStore(_ options: StoreOptions, _ body: (any Store) async throws -> Void) async throws {
        let store = try await options.open(logger: Logger(label: "arriwa.outbox"))
        do {
            try await store.migrate()
            try await body(store)
            try? await store.shutdown()
        } catch {
            try? await store.shutdown()
            FileHandle.standardError.write(Data("arriwa outbox: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }

    static func nowMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    static func time(_ millis: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }
}
