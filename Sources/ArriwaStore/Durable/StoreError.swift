/// What went wrong in a store, with enough context to name it.
public struct StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// The worker's lease on the lane expired and someone else may hold it; nothing applied.
        case leaseLost = "lease_lost"
        /// The session's stored turn is not the one the commit expected; nothing applied.
        case turnConflict = "turn_conflict"
        /// An inbox entry of the commit is already done (a duplicate executor); nothing applied.
        case alreadyApplied = "already_applied"
        /// The database could not be reached or answered with an error.
        case unavailable
        /// A migration failed or the schema is newer than this binary.
        case migration
        /// A stored value could not be decoded.
        case corrupt
        /// The database URL or configuration is wrong.
        case configuration
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
