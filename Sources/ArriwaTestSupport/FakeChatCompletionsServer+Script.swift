extension FakeChatCompletionsServer {
    /// The replies to give and the requests seen.
    actor Script {
        private var queue: [Reply] = []
        private var byModel: [String: Reply] = [:]
        private var fallback: Reply = .error(status: 500, message: "the fake server has no reply scripted")
        private(set) var received: [RecordedRequest] = []

        var count: Int { received.count }

        func enqueue(_ replies: [Reply]) { queue += replies }
        func setReply(_ reply: Reply, forModel model: String) { byModel[model] = reply }
        func setDefault(_ reply: Reply) { fallback = reply }

        /// Records the request and picks its reply.
        func receive(_ request: RecordedRequest) -> Reply {
            received.append(request)
            if !queue.isEmpty { return queue.removeFirst() }
            if let model = request.model, let reply = byModel[model] { return reply }
            return fallback
        }
    }
}
