import Foundation
import Hummingbird

/// Runs a Hummingbird router for a fake on loopback (port 0: a free one) and returns the port it
/// got once it listens — every fake in this module starts this way.
enum FakeServerRunner {
    static func start(_ router: Router<BasicRequestContext>, name: String, host: String = "127.0.0.1",
                      port requested: Int = 0) async throws -> (port: Int, task: Task<Void, any Error>) {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        var app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: requested), serverName: name),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            }
        )
        app.logger.logLevel = .critical
        let runningApp = app
        let task = Task<Void, any Error> {
            defer { continuation.finish() }
            try await runningApp.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            task.cancel()
            _ = await task.result
            throw FakeChatCompletionsServer.FakeServerError.didNotStart
        }
        return (port, task)
    }

    static func headers(_ request: Request) -> [String: String] {
        var headers: [String: String] = [:]
        for field in request.headers {
            let name = field.name.canonicalName
            headers[name] = headers[name].map { "\($0), \(field.value)" } ?? field.value
        }
        return headers
    }

    static func json(_ status: Int, _ text: String, contentType: String = "application/json") -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        return Response(status: .init(code: status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// Decodes `application/x-www-form-urlencoded` (`+` is a space).
    static func form(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ") }
            guard let name = parts.first?.removingPercentEncoding else { continue }
            fields[name] = parts.count > 1 ? parts[1].removingPercentEncoding ?? parts[1] : ""
        }
        return fields
    }
}
