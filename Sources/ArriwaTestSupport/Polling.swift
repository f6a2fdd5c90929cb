/// A condition a test waited for did not come true in time.
public struct ConditionTimeout: Error, CustomStringConvertible {
    public let timeout: Duration
    public var description: String { "condition not met within \(timeout)" }
}

/// Polls `condition` every `interval` until it holds; throws `ConditionTimeout` after `timeout`
/// (a thrown error fails the test that waits).
public func waitUntil(timeout: Duration = .seconds(10), every interval: Duration = .milliseconds(10),
                      _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: interval)
    }
    if try await condition() { return }
    throw ConditionTimeout(timeout: timeout)
}
