/// Runs every rule over a loaded tenant and returns the findings (load diagnostics included),
/// sorted by position. Suppression comments are applied afterwards by `Suppressions`.
public enum Validator {
    public static func validate(_ project: TenantProject) -> [Diagnostic] {
        var context = ValidationContext(project: project)
        context.diagnostics = project.diagnostics
        HygieneRules.check(&context)
        ManifestRules.check(&context)
        var analyses: [FlowAnalysis] = []
        for flow in project.flows {
            let analysis = FlowAnalysis(flow: flow, project: project)
            GraphRules.check(flow, analysis, &context)
            ExpressionRules.check(flow, analysis, &context)
            WhatsAppRules.check(flow, analysis, &context)
            EmitRules.check(flow, analysis, &context)
            analyses.append(analysis)
        }
        WindowRules.check(analyses, &context)
        CallRules.check(&context)
        EmitRules.checkTenant(&context)
        ExpressionRules.checkTenantTexts(&context)
        var seen = Set<Diagnostic>()
        var result = context.diagnostics.filter { seen.insert($0).inserted }
        result.sort(by: Diagnostic.ordered)
        return result
    }
}

/// What rules share while they run: the project and the findings so far.
public struct ValidationContext {
    public let project: TenantProject
    public var diagnostics: [Diagnostic] = []

    public var tenant: Tenant? { project.tenant }
    public var manifest: Manifest? { project.manifest }
    /// True when the flows are checked inside a tenant directory (so tenant-level references can be checked).
    public var hasTenant: Bool { project.tenant != nil }

    public mutating func report(_ rule: String, _ message: String, at location: SourceLocation, length: Int = 1, hint: String? = nil) {
        diagnostics.append(Diagnostic(rule: rule, message: message, at: location, length: length, hint: hint ?? Rules.byID[rule]?.help))
    }

    public mutating func report(_ rule: String, _ message: String, at located: Located<String>, hint: String? = nil) {
        report(rule, message, at: located.location, length: located.value.count, hint: hint)
    }
}

/// Per-flow facts several rules need: node index by id, successors, reachability, parsed expressions.
public struct FlowAnalysis {
    public let flow: Flow
    public let nodeIndex: [String: Int]
    /// Each node's outgoing edges, computed once (several rules walk them).
    public let edges: [[Edge]]
    /// Successor node indices (only edges whose target exists).
    public let successors: [[Int]]
    public let predecessors: [[Int]]
    public let startIndex: Int?
    public let reachable: Set<Int>
    public let sites: [[ExpressionSite]]
    public let types: StaticTypeEnvironment

    init(flow: Flow, project: TenantProject) {
        self.flow = flow
        var index: [String: Int] = [:]
        for (i, node) in flow.nodes.enumerated() where index[node.id.value] == nil { index[node.id.value] = i }
        nodeIndex = index
        let edges = flow.nodes.map(\.edges)
        self.edges = edges
        var successors: [[Int]] = Array(repeating: [], count: flow.nodes.count)
        var predecessors: [[Int]] = Array(repeating: [], count: flow.nodes.count)
        for i in flow.nodes.indices {
            for edge in edges[i] {
                guard let target = index[edge.target.value] else { continue }
                if !successors[i].contains(target) {
                    successors[i].append(target)
                    predecessors[target].append(i)
                }
            }
        }
        self.successors = successors
        self.predecessors = predecessors
        let start = flow.start.flatMap { index[$0.value] } ?? flow.nodes.firstIndex { $0.type.value == "start" }
        startIndex = start
        var seen = Set<Int>()
        var stack = start.map { [$0] } ?? []
        while let next = stack.popLast() {
            guard seen.insert(next).inserted else { continue }
            stack += successors[next]
        }
        reachable = seen
        sites = flow.nodes.map(ExpressionSites.collect(in:))
        types = FlowTypes.environment(flow: flow, manifest: project.manifest)
    }

    public func node(_ id: String) -> FlowNode? { nodeIndex[id].map { flow.nodes[$0] } }
}
