import ArriwaCore
import ArriwaStore
import Logging
import ServiceLifecycle

extension TurnWorker {
    /// The entries of one claimed lane, in order, one commit each. The last commit gives the lane
    /// back; a lane left early (conflict, failure, shutdown) is released explicitly.
    func process(_ claim: LaneClaim, owner: String) async {
        var released = false
        for (index, entry) in claim.entries.enumerated() {
            if Task.isCancelled { break }
            let isLast = index == claim.entries.count - 1
            do {
                try await runTurn(entry, claim: claim, owner: owner, releaseLane: isLast)
                await attempts.clear(entry.seq)
                if isLast { released = true }
            } catch {
                guard await failed(entry, claim: claim, owner: owner, error: error) == .next else { break }
            }
        }
        if !released { await release(claim, owner: owner) }
    }

    /// What happens to a lane after one of its turns failed.
    enum AfterFailure {
        /// The entry was marked failed (it failed every attempt): go on with the lane's next one.
        case next
        /// Leave the lane (its entry stays pending, or someone else has it).
        case stop
    }

    /// Handles a turn that did not commit: a store conflict drops the claim (someone else did the
    /// work), a store error leaves the entry pending, any other error counts towards the entry's
    /// attempts and marks it failed after `maxAttempts`.
    func failed(_ entry: InboxEntry, claim: LaneClaim, owner: String, error: any Error) async -> AfterFailure {
        let metadata: Logger.Metadata = ["tenant": "\(claim.tenant)", "lane": "\(LogRedaction.lane(claim.lane))",
                                         "seq": "\(entry.seq)", "kind": "\(entry.item.kind.rawValue)", "owner": "\(owner)"]
        if let error = error as? StoreError {
            if [.leaseLost, .turnConflict, .alreadyApplied].contains(error.code) {
                // Someone else did (or is doing) this lane's work: drop the claim, apply nothing.
                logger.notice("turn not applied, claim dropped", metadata: metadata.merging(["reason": "\(error)"]) { $1 })
            } else {
                metrics.error(.worker)
                logger.error("store error during a turn; the entry stays pending", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            }
            return .stop
        }
        metrics.error(.worker)
        let count = await attempts.increment(entry.seq)
        guard count >= configuration.maxAttempts else {
            logger.warning("turn failed; will retry", metadata: metadata.merging(["error": "\(error)", "attempt": "\(count)"]) { $1 })
            return .stop
        }
        do {
            try await store.failInbox(seq: entry.seq, owner: owner, error: "\(error)", now: await clock.now())
            await attempts.clear(entry.seq)
            logger.error("inbox entry failed every attempt; marked failed (dead letter)",
                         metadata: metadata.merging(["error": "\(error)", "attempts": "\(count)"]) { $1 })
            return .next
        } catch {
            logger.error("could not mark the inbox entry failed", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            return .stop
        }
    }

    /// Gives a lane back that its last commit did not release.
    func release(_ claim: LaneClaim, owner: String) async {
        do {
            try await store.releaseLane(tenant: claim.tenant, lane: claim.lane, owner: owner)
        } catch {
            logger.warning("releasing a lane failed; its lease will expire",
                           metadata: ["tenant": "\(claim.tenant)", "lane": "\(LogRedaction.lane(claim.lane))", "error": "\(error)"])
        }
    }
}

/// What logs may show of identifying values.
public enum LogRedaction {
    /// A lane is a phone hash: a prefix is enough to correlate lines.
    public static func lane(_ lane: String) -> String { String(lane.prefix(12)) }
}
