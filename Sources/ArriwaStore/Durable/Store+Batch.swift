public import ArriwaCore

/// A lane of a tenant (the key of batched reads).
public struct LaneRef: Hashable, Sendable {
    public var tenant: String
    public var lane: String

    public init(tenant: String, lane: String) {
        self.tenant = tenant
        self.lane = lane
    }
}

/// A session of a tenant (the key of batched reads).
public struct SessionRef: Hashable, Sendable {
    public var tenant: String
    public var id: String

    public init(tenant: String, id: String) {
        self.tenant = tenant
        self.id = id
    }
}

extension Store {
    /// One `laneState` after the other (stores override with one query).
    public func laneStates(_ lanes: [LaneRef]) async throws -> [LaneRef: LaneState] {
        var states: [LaneRef: LaneState] = [:]
        for lane in Set(lanes) {
            let state = try await laneState(tenant: lane.tenant, lane: lane.lane)
            if state.subscriber != nil { states[lane] = state }
        }
        return states
    }

    /// One `session` after the other (stores override with one query).
    public func sessions(_ refs: [SessionRef]) async throws -> [SessionRef: SessionState] {
        var states: [SessionRef: SessionState] = [:]
        for ref in Set(refs) {
            if let state = try await session(tenant: ref.tenant, id: ref.id) { states[ref] = state }
        }
        return states
    }

    /// One `commitTurn` after the other (the SQL stores override with one transaction).
    public func commitTurns(_ commits: [TurnCommit]) async -> [Result<TurnCommitResult, any Error>] {
        await commitEachAlone(commits)
    }

    /// Each commit in its own transaction, in order: the fallback of a shared attempt that failed.
    public func commitEachAlone(_ commits: [TurnCommit]) async -> [Result<TurnCommitResult, any Error>] {
        var results: [Result<TurnCommitResult, any Error>] = []
        results.reserveCapacity(commits.count)
        for commit in commits {
            do {
                results.append(.success(try await commitTurn(commit)))
            } catch {
                results.append(.failure(error))
            }
        }
        return results
    }
}

/// How `commitTurns` went in one store since it opened: turns committed in shared transactions,
/// and turns committed alone (batches of one, or a shared attempt rolled back because one of its
/// turns failed a check). For operators (a high `alone` share means conflicts) and tests.
public struct BatchCommitStatistics: Sendable, Hashable {
    public var shared: Int
    public var alone: Int

    public init(shared: Int = 0, alone: Int = 0) {
        self.shared = shared
        self.alone = alone
    }
}

/// Why a shared commit of several turns was rolled back (one of them failed a check); the store
/// then commits each alone to give every turn its own answer. Never leaves the store.
struct BatchCheckFailed: Error, CustomStringConvertible {
    var check: String
    var description: String { "a batched commit failed its \(check) check" }
}

extension TurnCommit {
    /// Whether these commits can share one transaction: different lanes, different consumed
    /// entries, and no timer id cancelled by one and scheduled by another (applying them together
    /// must equal applying them one after the other).
    static func canShareTransaction(_ commits: [TurnCommit]) -> Bool {
        var lanes: Set<LaneRef> = [], seqs: Set<Int64> = [], cancelled: Set<String> = [], scheduled: Set<String> = []
        for commit in commits {
            guard lanes.insert(LaneRef(tenant: commit.tenant, lane: commit.lane)).inserted else { return false }
            for seq in commit.consumed where !seqs.insert(seq).inserted { return false }
            for id in commit.effectiveCancel { cancelled.insert("\(commit.tenant)\u{0}\(id)") }
            for record in commit.effectiveSchedule { scheduled.insert("\(commit.tenant)\u{0}\(record.timer.id)") }
        }
        return cancelled.isDisjoint(with: scheduled)
    }

    /// Whether no outbox key (tenant, destination, key) is queued twice among these commits.
    /// Commits that repeat one can share a transaction (the first stores it, as if committed one
    /// after the other) but not be cut into transactions that run at once, where either could
    /// store it first.
    static func outboxKeysDistinct(_ commits: [TurnCommit]) -> Bool {
        var seen: Set<OutboxTriple> = []
        for commit in commits {
            for item in commit.outbox where !seen.insert(OutboxTriple(tenant: item.tenant, destination: item.destination, key: item.key)).inserted {
                return false
            }
        }
        return true
    }

    /// For each commit, the outbox keys refused as duplicates, given which (tenant, destination,
    /// key) triples the shared insert stored: in commit order, the first occurrence of a stored
    /// triple is new, every other occurrence a duplicate (as if committed one after the other).
    static func duplicateOutboxKeys(_ commits: [TurnCommit], stored: Set<OutboxTriple>) -> [[String]] {
        var remaining = stored
        return commits.map { commit in
            var duplicates: [String] = []
            for item in commit.outbox where remaining.remove(OutboxTriple(tenant: item.tenant, destination: item.destination, key: item.key)) == nil {
                duplicates.append("\(item.destination)/\(item.key)")
            }
            return duplicates
        }
    }
}

extension TurnCommit {
    /// The lease an outbox item is inserted under: the commit's, for an item due at once.
    func lease(of item: OutboxItem) -> OutboxLease? {
        guard let outboxLease, item.availableAt <= now else { return nil }
        return outboxLease
    }

    /// The outbox columns a stored item starts with: leased (one attempt started, the lease's
    /// end as its next attempt) or pending from its availability.
    func outboxStart(of item: OutboxItem) -> (owner: String?, attempts: Int, nextAttemptAt: Int64) {
        guard let lease = lease(of: item) else { return (nil, 0, item.availableAt) }
        return (lease.owner, 1, lease.until)
    }

    /// Each commit's results: the keys its store refused (`duplicateOutboxKeys`) and the records of
    /// the rows it stored leased. `stored`: the rows the batch stored, with their ids.
    static func results(_ commits: [TurnCommit], stored: [OutboxTriple: Int64]) -> [TurnCommitResult] {
        let duplicates = duplicateOutboxKeys(commits, stored: Set(stored.keys))
        var unclaimed = stored
        return zip(commits, duplicates).map { commit, duplicates in
            var leased: [OutboxRecord] = []
            for item in commit.outbox {
                let triple = OutboxTriple(tenant: item.tenant, destination: item.destination, key: item.key)
                // Taken once: a key twice in a batch is stored (and leased) for its first item.
                guard let id = unclaimed.removeValue(forKey: triple), let lease = commit.lease(of: item) else { continue }
                leased.append(OutboxRecord(id: id, item: item, status: .pending, attempts: 1, nextAttemptAt: lease.until, lastError: nil,
                                           createdAt: commit.now, deliveredAt: nil, remoteID: nil))
            }
            return TurnCommitResult(duplicateOutboxKeys: duplicates, leased: leased)
        }
    }
}

struct OutboxTriple: Hashable, Sendable {
    var tenant: String
    var destination: String
    var key: String
}
