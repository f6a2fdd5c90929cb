import ArriwaRuntime
import ArriwaStore

/// The one write a webhook makes: its items appended to the durable inbox (a provider's retry is
/// a duplicate, not a second entry), counted, and the workers woken when something is new.
enum InboxAppend {
    static func append(_ items: [InboxItem], store: any Store, metrics: RuntimeMetrics,
                       wake: @Sendable () async -> Void) async throws -> (queued: Int, duplicates: Int) {
        var queued = 0
        var duplicates = 0
        for item in items {
            switch try await store.appendInbox(item) {
            case .appended: queued += 1
            case .duplicate: duplicates += 1
            }
        }
        if queued > 0 {
            metrics.messagesIn.increment(by: Int64(queued))
            await wake()
        }
        return (queued, duplicates)
    }
}
