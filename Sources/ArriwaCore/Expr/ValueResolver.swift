/// Supplies path values at evaluation time. Asked for the full static path first (`["vars","a","b"]`),
/// then for shorter prefixes; the evaluator walks the rest through maps (keys) and lists (indices).
public protocol ValueResolver: Sendable {
    /// The value at `path`, or nil if unknown (→ "unknown path" evaluation error).
    func value(of path: [String]) -> Value?
}

/// A dictionary-backed resolver: roots such as `"vars"` map to values (usually maps).
public struct StaticValueResolver: ValueResolver {
    public var roots: [String: Value]

    public init(roots: [String: Value] = [:]) {
        self.roots = roots
    }

    public func value(of path: [String]) -> Value? {
        path.count == 1 ? roots[path[0]] : nil
    }
}
