/// Supplies path values at evaluation time. Asked for the full static path first (`["vars","a","b"]`),
/// then for shorter prefixes; the evaluator walks the rest through maps (keys) and lists (indices).
public protocol ValueResolver: Sendable {
    /// The value at `path`, or nil if unknown (→ "unknown path" evaluation error).
    func value(of path: [String]) -> Value?

    /// `value(of: [root, key])` without building the path, or nil to let the evaluator ask
    /// `value(of:)` (the default). A resolver that answers must answer exactly as `value(of:)` would.
    func value(_ root: String, _ key: String) -> Value?

    /// `value(of: [root, a, b])` without building the path, or nil (the default) as above.
    func value(_ root: String, _ a: String, _ b: String) -> Value?

    /// `value(of: [root, a, b, c])` without building the path, or nil (the default) as above.
    func value(_ root: String, _ a: String, _ b: String, _ c: String) -> Value?
}

extension ValueResolver {
    public func value(_ root: String, _ key: String) -> Value? { nil }
    public func value(_ root: String, _ a: String, _ b: String) -> Value? { nil }
    public func value(_ root: String, _ a: String, _ b: String, _ c: String) -> Value? { nil }
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
