/// A dictionary-backed environment: maps a root (`"vars"`) to a type and walks record fields, map
/// values and list elements (for integer components) from there. `any` answers `any` below it.
public struct StaticTypeEnvironment: TypeEnvironment {
    public var roots: [String: ExprType]

    public init(roots: [String: ExprType]) {
        self.roots = roots
    }

    public var rootNames: [String] { roots.keys.sorted() }

    public func type(of path: [String]) -> ExprType? {
        guard let first = path.first, var type = roots[first] else { return nil }
        for component in path.dropFirst() {
            guard let next = type.member(component) else { return nil }
            type = next
        }
        return type
    }
}
