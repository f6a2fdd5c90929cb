import ArriwaCore
import ArriwaStore
import Logging

extension TurnWorker {
    /// Several claimed lanes' turns together: in rounds, each lane's next entry; one batched read
    /// of the states they start from, the engine for each, and ONE batched commit for the round
    /// (`Store.commitTurns`: each turn still atomic and checked on its own). A lane whose turn
    /// needs a classifier the engine cannot run itself (a model: slow, remote) leaves the batch
    /// and finishes alone, so a slow call never holds up the others. Order within a lane is kept:
    /// a lane's next entry runs only after its previous one committed.
    func processBatch(_ claims: [LaneClaim], owner: String) async {
        var cursors = claims.map { LaneCursor(claim: $0) }
        var alone: [LaneClaim] = []
        while !Task.isCancelled {
            let round = cursors.indices.filter { cursors[$0].isActive }
            guard !round.isEmpty else { break }
            let now = await clock.now()
            let loaded = await loadRound(round.map { (cursors[$0].entry, cursors[$0].claim.startState(of: cursors[$0].entry)) }, now: now)
            var prepared: [(cursor: Int, turn: PreparedTurn)] = []
            for (position, index) in round.enumerated() {
                let entry = cursors[index].entry
                do {
                    let turn = try await prepare(entry, try loaded[position].get(), owner: owner, now: now,
                                                 releaseLane: cursors[index].isLastEntry, mayClassify: false)
                    if let turn {
                        prepared.append((index, turn))
                    } else {
                        alone.append(cursors[index].remainder)
                        cursors[index].handedOff = true
                    }
                } catch {
                    await settle(&cursors[index], after: error, owner: owner)
                }
            }
            guard !prepared.isEmpty else { continue }
            let results = await store.commitTurns(prepared.map(\.turn.commit))
            await handOver(zip(prepared, results).compactMap { prepared, result in
                (try? result.get()).map { (prepared.turn, $0) }
            })
            for ((index, turn), result) in zip(prepared, results) {
                switch result {
                case .success(let committed):
                    await attempts.clear(turn.entry.seq)
                    if cursors[index].isLastEntry { cursors[index].released = true }
                    cursors[index].next += 1
                    await self.committed(turn, committed)
                case .failure(let error):
                    notCommitted(turn)
                    await settle(&cursors[index], after: error, owner: owner)
                }
            }
        }
        for cursor in cursors where !cursor.released && !cursor.handedOff {
            await release(cursor.claim, owner: owner)
        }
        guard !alone.isEmpty else { return }
        await withDiscardingTaskGroup { group in
            for claim in alone {
                group.addTask { await self.process(claim, owner: owner) }
            }
        }
    }

    /// A failed turn of a batch: the entry was marked failed (go on with the lane) or the lane stops.
    private func settle(_ cursor: inout LaneCursor, after error: any Error, owner: String) async {
        switch await failed(cursor.entry, claim: cursor.claim, owner: owner, error: error) {
        case .next: cursor.next += 1
        case .stop: cursor.stopped = true
        }
    }

    /// What each entry's turn starts from: inbound messages' lanes (unless the claim read them
    /// along) and timers' sessions in one read each; other kinds (statuses, operator actions,
    /// external events: rare) one by one.
    private func loadRound(_ round: [(entry: InboxEntry, known: LaneState?)], now: Int64) async -> [Result<LoadedTurn, any Error>] {
        var lanes: [LaneRef] = [], sessions: [SessionRef] = []
        for (entry, known) in round {
            switch entry.item.event {
            case .inbound: if known == nil { lanes.append(LaneRef(tenant: entry.item.tenant, lane: entry.item.lane)) }
            case .timer(let fired): sessions.append(SessionRef(tenant: entry.item.tenant, id: fired.timer.sessionID))
            default: break
            }
        }
        let laneStates: Result<[LaneRef: LaneState], any Error>
        let sessionStates: Result<[SessionRef: SessionState], any Error>
        do { laneStates = .success(lanes.isEmpty ? [:] : try await store.laneStates(lanes)) } catch { laneStates = .failure(error) }
        do { sessionStates = .success(sessions.isEmpty ? [:] : try await store.sessions(sessions)) } catch { sessionStates = .failure(error) }
        var loaded: [Result<LoadedTurn, any Error>] = []
        loaded.reserveCapacity(round.count)
        for (entry, known) in round {
            let item = entry.item
            switch item.event {
            case .inbound:
                if let known {
                    loaded.append(.success(inbound(entry, lane: known, now: now)))
                    continue
                }
                loaded.append(laneStates.map { states in
                    inbound(entry, lane: states[LaneRef(tenant: item.tenant, lane: item.lane)] ?? LaneState(subscriber: nil, session: nil), now: now)
                })
            case .timer(let fired):
                loaded.append(sessionStates.map { states in
                    LoadedTurn(event: item.event, state: states[SessionRef(tenant: item.tenant, id: fired.timer.sessionID)], subscriber: nil)
                })
            default:
                do { loaded.append(.success(try await load(entry, now: now))) } catch { loaded.append(.failure(error)) }
            }
        }
        return loaded
    }
}

/// Where a batch is in one claimed lane.
struct LaneCursor {
    let claim: LaneClaim
    var next = 0
    /// The lane's last commit gave it back.
    var released = false
    /// A turn failed and the lane was left (its entry stays pending, or someone else has it).
    var stopped = false
    /// The rest of the lane runs alone (its turn needs a classifier).
    var handedOff = false

    init(claim: LaneClaim) {
        self.claim = claim
    }

    var isActive: Bool { !stopped && !handedOff && next < claim.entries.count }
    var entry: InboxEntry { claim.entries[next] }
    var isLastEntry: Bool { next == claim.entries.count - 1 }
    /// The lane's claim from the current entry on.
    var remainder: LaneClaim {
        LaneClaim(tenant: claim.tenant, lane: claim.lane, leaseUntil: claim.leaseUntil, entries: Array(claim.entries[next...]),
                  state: next == 0 ? claim.state : nil)
    }
}
