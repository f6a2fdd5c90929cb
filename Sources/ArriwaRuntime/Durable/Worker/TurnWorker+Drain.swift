extension TurnWorker {
    /// Processes until no lane has pending entries (as one owner). For tests and tools.
    @discardableResult
    public func drain(owner: String? = nil, maxClaims: Int = 10_000) async -> Int {
        let owner = owner ?? "\(configuration.owner)#drain"
        var claims = 0
        while claims < maxClaims, await pollOnce(owner: owner) { claims += 1 }
        return claims
    }
}
