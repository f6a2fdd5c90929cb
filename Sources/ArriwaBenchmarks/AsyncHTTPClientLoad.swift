import ArriwaChannels
import AsyncHTTPClient

/// The first load generator (`--generator async-http-client`): `concurrency` tasks posting the
/// signed webhooks through AsyncHTTPClient, timing each request. Kept for comparison: on the shared
/// cores it takes about twice the CPU of the lean generator (`LeanLoad`).
struct AsyncHTTPClientLoad: Sendable {
    let client: HTTPClient
    let url: String
    let concurrency: Int

    func run(_ requests: [SignedWebhook]) async throws -> LoadOutcome {
        let next = RequestCounter(total: requests.count)
        return try await withThrowingTaskGroup(of: LoadOutcome.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var outcome = LoadOutcome()
                    while let index = await next.take() {
                        var request = HTTPClientRequest(url: url)
                        request.method = .POST
                        request.headers.add(name: "Content-Type", value: "application/json")
                        request.headers.add(name: WebhookSignature.cloudHeader, value: requests[index].signature)
                        request.body = .bytes(requests[index].body)
                        let start = monotonicNanos()
                        let response = try await client.execute(request, timeout: .seconds(30))
                        _ = try await response.body.collect(upTo: 1 << 16)
                        outcome.latenciesMS.append(Double(monotonicNanos() - start) / 1e6)
                        if response.status.code != 200 { outcome.failures += 1 }
                    }
                    return outcome
                }
            }
            var total = LoadOutcome()
            for try await part in group {
                total.latenciesMS += part.latenciesMS
                total.failures += part.failures
            }
            return total
        }
    }
}

/// Hands out request indexes to the loops.
actor RequestCounter {
    private var taken = 0
    private let total: Int

    init(total: Int) {
        self.total = total
    }

    func take() -> Int? {
        guard taken < total else { return nil }
        defer { taken += 1 }
        return taken
    }
}
