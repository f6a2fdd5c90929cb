import ArriwaStore

extension OutboxDispatcher {
    /// Claims what is due now (up to `concurrency` rows), delivers them concurrently and returns
    /// how many it handled. For tests and tools; the service loop runs continuously instead.
    @discardableResult
    public func dispatchOnce() async throws -> Int {
        let rows = try await store.claimOutbox(owner: configuration.owner, limit: configuration.concurrency,
                                               now: await clock.now(), leaseMillis: configuration.leaseMillis)
        await withDiscardingTaskGroup { group in
            for row in rows {
                group.addTask { await self.deliver(row) }
            }
        }
        return rows.count
    }
}
