public import Foundation
import Hummingbird

/// A loopback HTTP receiver standing in for a sink (a CRM's or a customer's webhook): records
/// every request (headers lower-cased, raw body) and answers with scripted statuses — the next
/// queued one, else `defaultStatus` (200).
public final class FakeWebhookReceiver: Sendable {
    public struct Received: Sendable, Hashable {
        public var path: String
        /// Lower-cased header names.
        public var headers: [String: String]
        public var body: Data
    }

    actor Log {
        var received: [Received] = []
        var queue: [Int] = []
        var defaultStatus = 200

        func receive(_ request: Received) -> Int {
            received.append(request)
            return queue.isEmpty ? defaultStatus : queue.removeFirst()
        }

        func enqueue(_ statuses: [Int]) { queue += statuses }
        func setDefault(_ status: Int) { defaultStatus = status }
    }

    public let port: Int
    /// `http://127.0.0.1:<port>/hook`.
    public var url: String { "http://127.0.0.1:\(port)/hook" }
    let log: Log
    private let task: Task<Void, any Error>

    private init(port: Int, log: Log, task: Task<Void, any Error>) {
        self.port = port
        self.log = log
        self.task = task
    }

    public static func start() async throws -> FakeWebhookReceiver {
        let log = Log()
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            let buffer = try await request.body.collect(upTo: 4 << 20)
            var headers: [String: String] = [:]
            for field in request.headers {
                let name = field.name.canonicalName
                headers[name] = headers[name].map { "\($0), \(field.value)" } ?? field.value
            }
            let status = await log.receive(Received(path: request.uri.path, headers: headers, body: Data(buffer.readableBytesView)))
            return Response(status: .init(code: status))
        }
        let (port, task) = try await FakeServerRunner.start(router, name: "fake-webhook")
        return FakeWebhookReceiver(port: port, log: log, task: task)
    }

    /// Answers the next requests with these statuses, in order.
    public func enqueue(_ statuses: Int...) async { await log.enqueue(statuses) }
    public func setDefaultStatus(_ status: Int) async { await log.setDefault(status) }
    public func received() async -> [Received] { await log.received }

    public func shutdown() async {
        task.cancel()
        _ = await task.result
    }
}
