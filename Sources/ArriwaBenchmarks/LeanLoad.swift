import NIOCore
import NIOPosix

/// The ingest benchmark's load generator: a lean HTTP/1.1 keep-alive client on SwiftNIO, on its
/// own event loop (one thread), so it costs the shared cores as little as a generator can.
/// `concurrency` connections, each a closed loop: write the next pre-built request (request line,
/// headers, signed body, all bytes ready before the clock starts), read the whole response (status
/// line, headers, `Content-Length` body), record the latency, send the next. No pipelining: each
/// connection has exactly one request in flight, as a provider's webhook sender does.
///
/// Requests are dealt round-robin to the connections up front, so the connections share nothing
/// (no counter, no lock); each reports its latencies when done.
struct LeanLoad: Sendable {
    let group: MultiThreadedEventLoopGroup
    let host: String
    let port: Int

    /// Sends every request of `requests` (complete HTTP/1.1 requests) over `concurrency` connections.
    func run(_ requests: [ByteBuffer], concurrency: Int) async throws -> LoadOutcome {
        let connections = max(1, min(concurrency, requests.count))
        var futures: [EventLoopFuture<LoadConnection.Result>] = []
        for k in 0..<connections {
            let share = Array(stride(from: k, to: requests.count, by: connections).map { requests[$0] })
            let loop = group.next()
            let done = loop.makePromise(of: LoadConnection.Result.self)
            let bootstrap = ClientBootstrap(group: loop)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(LoadConnection(requests: share, done: done))
                    }
                }
            let connected = bootstrap.connect(host: host, port: port)
            connected.cascadeFailure(to: done)
            futures.append(done.futureResult)
        }
        var outcome = LoadOutcome()
        outcome.latenciesMS.reserveCapacity(requests.count)
        for future in futures {
            let result = try await future.get()
            outcome.latenciesMS += result.latenciesNanos.map { Double($0) / 1e6 }
            outcome.failures += result.failures
        }
        return outcome
    }
}

/// One keep-alive connection of `LeanLoad`; lives on its channel's event loop.
final class LoadConnection: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    struct Result: Sendable {
        var latenciesNanos: [UInt64]
        /// Answers other than 200.
        var failures: Int
    }

    struct ProtocolError: Error, CustomStringConvertible {
        var description: String
    }

    private let requests: [ByteBuffer]
    private let done: EventLoopPromise<Result>
    private var next = 0
    private var startedAt: UInt64 = 0
    private var received: ByteBuffer?
    private var result = Result(latenciesNanos: [], failures: 0)
    private var finished = false

    init(requests: [ByteBuffer], done: EventLoopPromise<Result>) {
        self.requests = requests
        self.done = done
        result.latenciesNanos.reserveCapacity(requests.count)
    }

    func channelActive(context: ChannelHandlerContext) {
        sendNext(context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if received == nil { received = bytes } else { received?.writeBuffer(&bytes) }
        do {
            while let buffer = received, let response = try Self.completeResponse(in: buffer) {
                received?.moveReaderIndex(forwardBy: response.length)
                result.latenciesNanos.append(NIODeadline.now().uptimeNanoseconds - startedAt)
                if response.status != 200 { result.failures += 1 }
                sendNext(context: context)
            }
            if received?.readableBytes == 0 { received = nil }
        } catch {
            finish(context: context, .failure(error))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(context: context, .failure(error))
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(context: context, .failure(ProtocolError(description: "the server closed the connection after \(result.latenciesNanos.count) answers")))
    }

    private func sendNext(context: ChannelHandlerContext) {
        guard next < requests.count else { return finish(context: context, .success(result)) }
        startedAt = NIODeadline.now().uptimeNanoseconds
        context.writeAndFlush(wrapOutboundOut(requests[next]), promise: nil)
        next += 1
    }

    private func finish(context: ChannelHandlerContext, _ outcome: Swift.Result<Result, any Error>) {
        guard !finished else { return }
        finished = true
        done.completeWith(outcome)
        context.close(promise: nil)
    }

    /// The status and total length of the first response in `buffer` once it is complete, nil
    /// while bytes are missing. Reads bytes in place (no strings): the generator must stay cheap.
    static func completeResponse(in buffer: ByteBuffer) throws -> (status: Int, length: Int)? {
        let view = buffer.readableBytesView
        guard let end = headEnd(view) else { return nil }
        let head = view[view.startIndex..<(view.startIndex + end)]
        // "HTTP/1.1 200 …"
        guard head.count >= 12, head.starts(with: Self.statusPrefix) else {
            throw ProtocolError(description: "not an HTTP/1.1 status line")
        }
        let digits = head[(head.startIndex + 9)..<(head.startIndex + 12)]
        guard digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { throw ProtocolError(description: "no status code") }
        let status = digits.reduce(0) { $0 * 10 + Int($1 - 48) }
        guard let contentLength = Self.contentLength(head) else {
            throw ProtocolError(description: "an answer without Content-Length (the generator reads no chunked bodies)")
        }
        let total = end + 4 + contentLength
        return view.count >= total ? (status, total) : nil
    }

    static let statusPrefix = Array("HTTP/1.1 ".utf8)
    static let lengthName = Array("\r\ncontent-length:".utf8)

    /// The value of the Content-Length header in `head` (name compared case-insensitively).
    static func contentLength(_ head: ByteBufferView.SubSequence) -> Int? {
        var i = head.startIndex
        while i + lengthName.count <= head.endIndex {
            var matches = true
            for (k, expected) in lengthName.enumerated() {
                var byte = head[i + k]
                if byte >= 65 && byte <= 90 { byte += 32 }
                if byte != expected { matches = false; break }
            }
            if matches {
                var j = i + lengthName.count
                while j < head.endIndex, head[j] == 32 { j += 1 }
                var value = 0, digits = 0
                while j < head.endIndex, head[j] >= 48, head[j] <= 57 {
                    value = value * 10 + Int(head[j] - 48)
                    digits += 1
                    j += 1
                }
                return digits > 0 ? value : nil
            }
            i += 1
        }
        return nil
    }

    /// The offset of the blank line ending the head (`\r\n\r\n`).
    static func headEnd(_ view: ByteBufferView) -> Int? {
        guard view.count >= 4 else { return nil }
        var i = view.startIndex
        while i + 3 < view.endIndex {
            if view[i] == 13, view[i + 1] == 10, view[i + 2] == 13, view[i + 3] == 10 { return i - view.startIndex }
            i += 1
        }
        return nil
    }
}
