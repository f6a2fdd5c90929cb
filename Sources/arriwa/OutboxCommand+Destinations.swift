import ArriwaStore
import Foundation

extension OutboxCommand {
    /// One block per destination: pending (of which retrying), dead, delivered (of which skipped),
    /// the oldest pending row, and the remote's last error (a dead row's, else a retrying one's).
    static func destinationLines(pending: [OutboxRecord], dead: [OutboxRecord], delivered: [OutboxRecord]) -> [String] {
        let all = pending + dead + delivered
        var lines: [String] = []
        for destination in Set(all.map(\.item.destination)).sorted() {
            let waiting = pending.filter { $0.item.destination == destination }
            let retrying = waiting.filter { $0.lastError != nil }
            let failed = dead.filter { $0.item.destination == destination }
            let done = delivered.filter { $0.item.destination == destination }
            let skipped = done.filter { $0.remoteID?.hasPrefix("skipped:") == true }
            var line = "  \(destination): \(waiting.count) pending (\(retrying.count) retrying), \(failed.count) dead, "
                + "\(done.count) delivered (\(skipped.count) skipped)"
            if let oldest = waiting.map(\.createdAt).min() { line += ", oldest pending \(time(oldest))" }
            lines.append(line)
            let latestDead = failed.max { $0.nextAttemptAt < $1.nextAttemptAt }
            let latestRetry = retrying.max { $0.attempts < $1.attempts }
            if let row = latestDead ?? latestRetry, let error = row.lastError {
                lines.append("    last error (row \(row.id), \(row.status.rawValue), attempt \(row.attempts)): \(error)")
            }
            if !failed.isEmpty {
                lines.append("    replay: arriwa outbox replay --all-dead --destination \(destination)")
            }
        }
        return lines
    }
}
