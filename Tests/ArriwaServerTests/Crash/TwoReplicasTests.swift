import ArriwaCore
import ArriwaStore
import ArriwaTestSupport
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import Testing

/// Scale-out: two `arriwa serve` processes on one PostgreSQL database, webhooks spread over both
/// at random. Both must do turns (the load is shared through the lane leases), and every lead's
/// conversation must come out exactly as if one process had run it — which it could not if two
/// processes ever worked on one session at the same time (a second application re-asks a
/// question; interleaved turns fail on the session's turn number).
@Suite("Two replicas")
struct TwoReplicasTests {
    @Test("two serve processes on one PostgreSQL share the load and never double-process a session")
    func twoProcessesShareTheLoad() async throws {
        guard let binary = ServeProcess.locateBinary() else {
            Issue.record("the arriwa executable is not built: run `swift build` before `swift test`")
            return
        }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("arriwa-replicas-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let tenant = CrashRecoveryTests.root.appendingPathComponent("flows/demo-clinic").path
        let databaseURL = try await CrashRecoveryTests.databaseURL(.postgres, work: work)
        let replicas = (0..<2).map { index in
            let port = ServeProcess.freePort()
            return ServeProcess(binary: binary,
                                arguments: ["serve", "--database-url", databaseURL, "--host", "127.0.0.1", "--port", "\(port)",
                                            "--deploy", tenant, "--workers", "2", "--log-level", "warning"],
                                environment: ["ARRIWA_TENANT_SECRET_DEMO_CLINIC": CrashRecoveryTests.secret],
                                port: port, log: work.appendingPathComponent("serve-\(index).log"))
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let helper = CrashRecoveryTests()
        do {
            for replica in replicas {
                try replica.start()
                try await helper.waitHealthy(replica, client: client)
            }
            let leads = 24
            try await withThrowingTaskGroup(of: Void.self) { group in
                for lead in 0..<leads {
                    group.addTask {
                        for (k, step) in CrashRecoveryTests.funnel.enumerated() {
                            let replica = replicas[Int.random(in: 0...1)]
                            try await helper.post(client: client, port: replica.port,
                                                  message: step.json(id: "wamid.replica.\(lead).\(k)", phone: CrashRecoveryTests.phone(lead)))
                            try await Task.sleep(for: .milliseconds(Int.random(in: 0...50)))
                        }
                    }
                }
                try await group.waitForAll()
            }

            let store = try await StoreURL.open(try StoreURL(databaseURL), logger: CrashRecoveryTests.logger)
            defer { Task { try? await store.shutdown() } }
            let deadline = ContinuousClock.now + .seconds(60)
            var report = try await CrashRecoveryTests.inspect(store)
            while report.sends.values.filter({ $0.count >= 5 }).count < leads || report.pendingInbox > 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(300))
                report = try await CrashRecoveryTests.inspect(store)
            }

            var turnsPerReplica: [Double] = []
            for replica in replicas {
                let response = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(replica.port)/metrics"), timeout: .seconds(5))
                let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
                let line = text.split(separator: "\n").first { $0.hasPrefix("arriwa_turns_total") }
                turnsPerReplica.append(line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0)
            }
            #expect(turnsPerReplica.allSatisfy { $0 > 0 }, "both replicas must do turns: \(turnsPerReplica)")
            #expect(turnsPerReplica.reduce(0, +) >= Double(leads * 5), "turns: \(turnsPerReplica)")

            #expect(report.pendingInbox == 0)
            for lead in 0..<leads {
                let phoneHash = try #require(Phone.hash(CrashRecoveryTests.phone(lead)))
                let subscriber = try #require(try await store.subscriber(tenant: "demo-clinic", lane: phoneHash))
                let state = try #require(try await store.latestSession(tenant: "demo-clinic", subscriberID: subscriber.subscriberID))
                #expect(state.status == .ended && state.outcome == "qualified", "lead \(lead): \(state.status) \(state.outcome ?? "-")")
                #expect(state.turn == 5, "lead \(lead): \(state.turn) turns for 5 messages")
                #expect(report.sends[state.id]?.count == 5, "lead \(lead): \(report.sends[state.id] ?? [])")
            }
        } catch {
            Issue.record("\(error)\n--- replica logs ---\n\(replicas.map { $0.tail(30) }.joined(separator: "\n"))")
        }
        for replica in replicas { #expect(replica.stop() == 0) }
        try await client.shutdown()
    }
}
