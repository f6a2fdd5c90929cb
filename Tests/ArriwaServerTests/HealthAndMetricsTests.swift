import ArriwaStore
import Foundation
import Testing

@Suite struct HealthAndMetricsTests {
    @Test func healthzAndReadyzAnswer200() async throws {
        try await ServerHarness.run { h in
            #expect(try await h.request(.GET, "\(h.base)/healthz").status == 200)
            let ready = try await h.request(.GET, "\(h.base)/readyz")
            #expect(ready.status == 200)
            #expect(ready.json["store"] as? String == "memory")
        }
    }

    @Test func readyzIs503WhenTheStoreDoesNotAnswer() async throws {
        try await ServerHarness.run(pingError: StoreError(.unavailable, "database down (test)")) { h in
            #expect(try await h.request(.GET, "\(h.base)/healthz").status == 200, "alive even when not ready")
            let ready = try await h.request(.GET, "\(h.base)/readyz")
            #expect(ready.status == 503)
            #expect(ready.json["status"] as? String == "unavailable")
        }
    }

    @Test func metricsExposeTheRuntimeMetrics() async throws {
        try await ServerHarness.run { h in
            _ = try await h.post(ServerHarness.message(id: "wamid.metrics.1", text: "Hi"))
            _ = try await h.waitForSends(1)
            let reply = try await h.request(.GET, "\(h.base)/metrics")
            #expect(reply.status == 200)
            for name in ["arriwa_messages_in_total", "arriwa_processing_latency_seconds", "arriwa_outbox_backlog",
                         "arriwa_timers_pending", "arriwa_errors_total", "arriwa_turns_total"] {
                #expect(reply.body.contains(name), "\(name) in /metrics")
            }
            #expect(reply.body.contains("arriwa_messages_in_total 1"))
            #expect(!reply.body.contains("79991234567"), "no phone numbers in metrics")
        }
    }
}
