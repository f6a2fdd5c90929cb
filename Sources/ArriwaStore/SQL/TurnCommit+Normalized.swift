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
}
