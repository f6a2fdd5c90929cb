/// Resolves paths during type checking. The validator implements it from declared flow variables,
/// the tenant's manifest, etc.
public protocol TypeEnvironment: Sendable {
    /// Type of a path, or nil if the path is unknown (→ `undeclared` issue).
    func type(of path: [String]) -> ExprType?

    /// Root names offered as "did you mean" hints for an unknown root (defaults to the engine's roots).
    var rootNames: [String] { get }
}

extension TypeEnvironment {
    public var rootNames: [String] { ["manifest", "message", "session", "tenant", "vars"] }
}
