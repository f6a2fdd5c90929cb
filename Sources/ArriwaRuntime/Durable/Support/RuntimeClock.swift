import Foundation

/// The durable services' only source of time: wall-clock Unix milliseconds in production, a
/// virtual clock in tests (so a 15-minute nudge fires without waiting 15 minutes).
public protocol RuntimeClock: Sendable {
    /// Unix milliseconds.
    func now() async -> Int64
    /// Waits `milliseconds` of this clock's time (a virtual clock may return earlier: callers
    /// re-read `now()` and loop).
    func sleep(milliseconds: Int64) async throws
}

/// Wall-clock time.
public struct SystemClock: RuntimeClock {
    public init() {}

    public func now() async -> Int64 { Self.nowMillis() }

    public func sleep(milliseconds: Int64) async throws {
        try await Task.sleep(for: .milliseconds(max(0, milliseconds)))
    }

    public static func nowMillis() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
}

/// A clock that only moves when told to. `sleep` waits a few real milliseconds (at most the asked
/// time) so loops on it keep polling while the test advances time.
public actor VirtualClock: RuntimeClock {
    private var current: Int64

    public init(startAt: Int64) {
        current = startAt
    }

    public func now() async -> Int64 { current }

    public func advance(by milliseconds: Int64) {
        current += max(0, milliseconds)
    }

    public nonisolated func sleep(milliseconds: Int64) async throws {
        try await Task.sleep(for: .milliseconds(min(max(1, milliseconds), 5)))
    }
}
