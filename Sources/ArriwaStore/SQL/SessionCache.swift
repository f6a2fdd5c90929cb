import ArriwaCore

/// Decoded session states by (tenant, id), so a turn's read of a session this process wrote or
/// read before skips decoding its JSON document (the largest single cost of a turn in the SQL
/// stores). Never a source of truth: every read still asks the database which session is current
/// and at which `turn`, and a cached state is used only when its turn is that stored turn. Every
/// change of a session's content increments its turn (the engine's rule: an unchanged turn is
/// rolled back to the identical state), so (id, turn) names one content.
struct SessionCache: Sendable {
    private var entries: [SessionRef: SessionState] = [:]
    let capacity: Int

    init(capacity: Int = 20_000) {
        self.capacity = max(1, capacity)
    }

    /// The cached state of `ref` if it is at `turn`.
    func state(_ ref: SessionRef, turn: Int) -> SessionState? {
        guard let state = entries[ref], state.turn == turn else { return nil }
        return state
    }

    /// Remembers a state as stored (read from the database). A full cache starts over (cheap,
    /// and a miss only costs a decode).
    mutating func remember(_ ref: SessionRef, _ state: SessionState) {
        if entries.count >= capacity, entries[ref] == nil { entries.removeAll(keepingCapacity: true) }
        entries[ref] = state
    }

    /// Remembers the session a committed turn wrote, as the database now holds it: a new session
    /// exactly as inserted; an update only when its immutable parts (attribution, raw referral)
    /// are what the SQL kept — known when the previous turn's state is cached — else forgotten.
    mutating func committed(_ commit: TurnCommit) {
        guard let state = commit.session else { return }
        let ref = SessionRef(tenant: commit.tenant, id: state.id)
        guard let expected = commit.expectedTurn else {
            remember(ref, state)
            return
        }
        guard let previous = entries[ref], previous.turn == expected,
              previous.attribution.isEmpty || previous.attribution == state.attribution,
              previous.referralRaw == nil || previous.referralRaw == state.referralRaw else {
            entries[ref] = nil
            return
        }
        remember(ref, state)
    }
}

/// A `SessionCache` shared by the tasks of a store that is not an actor (PostgreSQL): batched
/// look-ups and updates, one hop each.
actor SharedSessionCache {
    private var cache = SessionCache()

    /// The cached states of those refs whose stored turn is given.
    func states(_ turns: [SessionRef: Int]) -> [SessionRef: SessionState] {
        var found: [SessionRef: SessionState] = [:]
        for (ref, turn) in turns {
            if let state = cache.state(ref, turn: turn) { found[ref] = state }
        }
        return found
    }

    func remember(_ states: [SessionRef: SessionState]) {
        for (ref, state) in states { cache.remember(ref, state) }
    }

    func committed(_ commits: [TurnCommit]) {
        for commit in commits { cache.committed(commit) }
    }
}
