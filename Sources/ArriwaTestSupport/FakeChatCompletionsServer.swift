import Foundation
import Hummingbird

/// A loopback OpenAI-compatible chat-completions server for tests: real HTTP on 127.0.0.1 (a free
/// port), scriptable replies, and a record of every request it received.
///
/// Replies are chosen per request: the next queued one (`enqueue`), else the one set for the
/// requested model (`setReply(_:forModel:)`), else `defaultReply` (a 500 until set).
public final class FakeChatCompletionsServer: Sendable {
    public let port: Int
    /// The API root to configure clients with: `http://127.0.0.1:<port>/v1`.
    public var baseURL: String { "http://127.0.0.1:\(port)/v1" }

    let script: Script
    private let task: Task<Void, any Error>

    private init(port: Int, script: Script, task: Task<Void, any Error>) {
        self.port = port
        self.script = script
        self.task = task
    }

    /// Binds 127.0.0.1 on a free port and returns once the server is listening.
    public static func start() async throws -> FakeChatCompletionsServer {
        let script = Script()
        let router = Router()
        router.post("/v1/chat/completions") { request, context -> Response in
            let buffer = try await request.body.collect(upTo: 4 << 20)
            let body = String(decoding: buffer.readableBytesView, as: UTF8.self)
            var headers: [String: String] = [:]
            for field in request.headers {
                let name = field.name.canonicalName
                headers[name] = headers[name].map { "\($0), \(field.value)" } ?? field.value
            }
            let recorded = RecordedRequest(method: "\(request.method)", path: request.uri.path, headers: headers, body: body,
                                           json: try? JSONDecoder().decode(RecordedJSON.self, from: Data(body.utf8)))
            let reply = await script.receive(recorded)
            return try await Self.response(for: reply, model: recorded.model ?? "unknown", number: await script.count)
        }

        let (port, task) = try await FakeServerRunner.start(router, name: "fake-chat-completions")
        return FakeChatCompletionsServer(port: port, script: script, task: task)
    }

    /// Stops listening and waits for the server task (in-flight delayed replies are cancelled).
    public func shutdown() async {
        task.cancel()
        _ = await task.result
    }

    // MARK: - Scripting

    /// Answers the next request (of any model) with `reply`; queued replies go first, in order.
    public func enqueue(_ replies: Reply...) async {
        await script.enqueue(replies)
    }

    /// Answers every request for `model` with `reply` (when nothing is queued).
    public func setReply(_ reply: Reply, forModel model: String) async {
        await script.setReply(reply, forModel: model)
    }

    /// Answers requests nothing else covers.
    public func setDefaultReply(_ reply: Reply) async {
        await script.setDefault(reply)
    }

    /// Every request received so far, oldest first.
    public func requests() async -> [RecordedRequest] {
        await script.received
    }

    public enum FakeServerError: Error {
        case didNotStart
    }
}

/// Runs `body` against a started fake server and always shuts it down.
public func withFakeChatCompletions<T>(
    _ body: (FakeChatCompletionsServer) async throws -> T
) async throws -> T {
    let server = try await FakeChatCompletionsServer.start()
    do {
        let result = try await body(server)
        await server.shutdown()
        return result
    } catch {
        await server.shutdown()
        throw error
    }
}
