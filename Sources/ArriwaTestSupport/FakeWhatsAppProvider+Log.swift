import Foundation

extension FakeWhatsAppProvider {
    /// What the fake received and posted, the failures waiting to be injected, and the webhook
    /// tasks in flight.
    actor Log {
        var received: [Received] = []
        var posted: [Posted] = []
        var failures: [String: [Failure]] = [:]
        var always: [String: Failure] = [:]
        var sequence = 0
        var tasks: [Task<Void, Never>] = []
        var webhook: Webhook?

        init(webhook: Webhook?) {
            self.webhook = webhook
        }

        func setWebhook(_ webhook: Webhook?) { self.webhook = webhook }

        func receive(_ request: Received) -> Int {
            received.append(request)
            return received.count - 1
        }

        func setWamid(_ wamid: String, at index: Int) {
            if received.indices.contains(index) { received[index].wamid = wamid }
        }

        func inject(_ failure: Failure, for recipient: String, times: Int) {
            failures[recipient, default: []] += Array(repeating: failure, count: max(0, times))
        }

        func injectAlways(_ failure: Failure?, for recipient: String) {
            always[recipient] = failure
        }

        func nextFailure(for recipient: String) -> Failure? {
            guard var queue = failures[recipient], !queue.isEmpty else { return always[recipient] }
            let failure = queue.removeFirst()
            failures[recipient] = queue
            return failure
        }

        func nextWamid() -> String {
            sequence += 1
            return "wamid.FAKE\(String(format: "%08d", sequence))\(UUID().uuidString.prefix(8))"
        }

        func posted(_ post: Posted) { posted.append(post) }

        func track(_ task: Task<Void, Never>) {
            tasks.removeAll { $0.isCancelled }
            tasks.append(task)
        }

        func cancelAll() -> [Task<Void, Never>] {
            let all = tasks
            for task in all { task.cancel() }
            tasks = []
            return all
        }
    }
}
