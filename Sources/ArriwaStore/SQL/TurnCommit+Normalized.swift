extension TurnCommit {
    /// Timer rows to write, last schedule of an id wins (as if applied one after the other).
    var effectiveSchedule: [TimerRecord] {
        var seen: Set<String> = []
        var result: [TimerRecord] = []
        for record in schedule.reversed() where seen.insert(record.timer.id).inserted { result.append(record) }
        return result.reversed()
    }

    /// Timer ids to delete: a cancelled id that is scheduled again in the same commit is simply
    /// replaced, so it is not deleted first (one statement cannot touch a row twice).
    var effectiveCancel: [String] {
        let scheduled = Set(schedule.map(\.timer.id))
        return Array(Set(cancel.filter { !scheduled.contains($0) })).sorted()
    }

    /// Outbox keys (`destination/key`) refused as duplicates, given which (destination, key)
    /// pairs were inserted now: the first occurrence of an inserted pair is new, any other is not.
    func duplicateOutboxKeys(inserted: Set<OutboxPair>) -> [String] {
        var remaining = inserted
        var duplicates: [String] = []
        for item in outbox {
            let pair = OutboxPair(destination: item.destination, key: item.key)
            if remaining.remove(pair) == nil { duplicates.append("\(item.destination)/\(item.key)") }
        }
        return duplicates
    }
}

struct OutboxPair: Hashable, Sendable {
    var destination: String
    var key: String
}
