/// Keeps a failing model from being called on every message, per tenant: after `failureThreshold`
/// failures within `window` seconds the circuit opens; after `openDuration` seconds it is half-open
/// and lets one trial call through, whose success closes it and whose failure opens it again.
public actor CircuitBreaker {
    public struct Configuration: Sendable, Hashable {
        public var failureThreshold: Int
        /// Seconds in which `failureThreshold` failures open the circuit.
        public var window: Double
        /// Seconds the circuit stays open before a trial call.
        public var openDuration: Double

        public init(failureThreshold: Int = 3, window: Double = 60, openDuration: Double = 30) {
            self.failureThreshold = max(1, failureThreshold)
            self.window = window
            self.openDuration = openDuration
        }
    }

    public enum State: String, Sendable, Hashable {
        case closed, open, halfOpen
    }

    /// Seconds on a monotonic clock; tests inject one they can move.
    public typealias Clock = @Sendable () -> Double

    enum Entry {
        case closed(failures: [Double])
        case open(since: Double)
        case halfOpen(trialInFlight: Bool)
    }

    public let configuration: Configuration
    let now: Clock
    var entries: [String: Entry] = [:]

    public init(configuration: Configuration = Configuration(), clock: @escaping Clock = CircuitBreaker.monotonicSeconds()) {
        self.configuration = configuration
        self.now = clock
    }

    /// Seconds since the call, on `ContinuousClock`.
    public static func monotonicSeconds() -> Clock {
        let origin = ContinuousClock.now
        return {
            let (seconds, attoseconds) = (ContinuousClock.now - origin).components
            return Double(seconds) + Double(attoseconds) * 1e-18
        }
    }

    /// The state as a caller would see it now (an open circuit past `openDuration` reads half-open).
    public func state(for key: String) -> State {
        switch entries[key] ?? .closed(failures: []) {
        case .closed: .closed
        case .open(let since): now() - since >= configuration.openDuration ? .halfOpen : .open
        case .halfOpen: .halfOpen
        }
    }

    /// Whether a call may be made now. Past `openDuration` the first caller gets the trial call and
    /// the others are refused until it reports back.
    public func allowRequest(for key: String) -> Bool {
        switch entries[key] ?? .closed(failures: []) {
        case .closed:
            return true
        case .open(let since):
            guard now() - since >= configuration.openDuration else { return false }
            entries[key] = .halfOpen(trialInFlight: true)
            return true
        case .halfOpen(let trialInFlight):
            if trialInFlight { return false }
            entries[key] = .halfOpen(trialInFlight: true)
            return true
        }
    }

    public func recordSuccess(for key: String) {
        switch entries[key] ?? .closed(failures: []) {
        case .closed(let failures):
            let recent = recentFailures(failures)
            entries[key] = recent.isEmpty ? nil : .closed(failures: recent)
        case .halfOpen:
            entries[key] = nil
        case .open:
            break
        }
    }

    public func recordFailure(for key: String) {
        let time = now()
        switch entries[key] ?? .closed(failures: []) {
        case .closed(let failures):
            let recent = recentFailures(failures) + [time]
            entries[key] = recent.count >= configuration.failureThreshold ? .open(since: time) : .closed(failures: recent)
        case .halfOpen:
            entries[key] = .open(since: time)
        case .open:
            break
        }
    }

    private func recentFailures(_ failures: [Double]) -> [Double] {
        let cutoff = now() - configuration.window
        return failures.filter { $0 > cutoff }
    }
}
