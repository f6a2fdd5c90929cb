/// A *.flow.yaml file, typed.
public struct Flow: Sendable {
    public var file: String
    public var name: Located<String>?
    public var version: Located<String>?
    public var description: String?
    public var start: Located<String>?
    public var vars: [Variable]
    public var nodes: [FlowNode]
    public var location: SourceLocation

    public init(file: String, root: YMapping) {
        self.file = file
        name = root.located("flow")
        version = root.located("version")
        description = root["description"]?.string
        start = root.located("start")
        vars = root.stringMap("vars").compactMap { key, value in value.mapping.map { Variable(name: key, map: $0) } }
        nodes = root["nodes"]?.sequence?.items.compactMap { $0.mapping.flatMap(FlowNode.init) } ?? []
        location = root.location
    }

    public func node(_ id: String) -> FlowNode? { nodes.first { $0.id.value == id } }
    public func variable(_ name: String) -> Variable? { vars.first { $0.name.value == name } }
    public var displayName: String { name?.value ?? file }
}

public struct Variable: Sendable {
    public var name: Located<String>
    public var type: VariableType?
    public var typeLocation: SourceLocation
    public var defaultValue: YNode?
    public var of: Located<String>?
    public var maxLength: Int?

    init(name: Located<String>, map: YMapping) {
        self.name = name
        type = map["type"]?.string.flatMap(VariableType.init(rawValue:))
        typeLocation = map["type"]?.location ?? map.location
        defaultValue = map["default"]
        of = map.located("of")
        maxLength = map.int("max_length")?.value
    }

    public var hasDefault: Bool { defaultValue != nil }
}

/// An outgoing edge of a node: its label (next, else, valid, on.qualified, ...) and target id.
public struct Edge: Sendable, Hashable {
    public var label: String
    public var target: Located<String>
}

public struct FlowNode: Sendable {
    public var id: Located<String>
    public var type: Located<String>
    public var map: YMapping
    public var location: SourceLocation { map.location }

    init?(_ map: YMapping) {
        guard let id = map.located("id"), let type = map.located("type"), NodeCatalog.spec(for: type.value) != nil else { return nil }
        self.id = id
        self.type = type
        self.map = map
    }

    public var spec: NodeTypeSpec? { NodeCatalog.spec(for: type.value) }

    /// Outgoing edges in source order. Only keys the node type accepts make edges (a stray
    /// `next:` on an end node is reported as an unknown key, not followed).
    public var edges: [Edge] {
        guard let schema = spec?.schema else { return [] }
        var edges: [Edge] = []
        if schema.property("next") != nil, let next = map.located("next") { edges.append(Edge(label: "next", target: next)) }
        if schema.property("branches") != nil {
            for (index, branch) in (map["branches"]?.sequence?.items ?? []).enumerated() {
                if let next = branch.mapping?.located("next") {
                    let label = branch.mapping?["when"]?.string ?? "branch \(index + 1)"
                    edges.append(Edge(label: label, target: next))
                }
            }
        }
        if schema.property("else") != nil, let otherwise = map.located("else") { edges.append(Edge(label: "else", target: otherwise)) }
        if schema.property("on") != nil {
            for (key, value) in map.stringMap("on") {
                if let target = value.string { edges.append(Edge(label: key.value, target: Located(target, at: value.location))) }
            }
        }
        if schema.property("default") != nil, let fallback = map.located("default") { edges.append(Edge(label: "default", target: fallback)) }
        return edges
    }

    /// An expression-valued or template-valued key, with its scalar for positions.
    public func scalar(_ key: String) -> YScalar? { map[key]?.scalar }
}
