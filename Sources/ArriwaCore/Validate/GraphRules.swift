/// Graph shape: one start, existing targets, reachability, paths that end, conditions with
/// else, duplicate ids, cycles that can spin without input.
enum GraphRules {
    static func check(_ flow: Flow, _ analysis: FlowAnalysis, _ context: inout ValidationContext) {
        // Duplicate ids.
        var firstByID: [String: FlowNode] = [:]
        for node in flow.nodes {
            if let first = firstByID[node.id.value] {
                context.report("graph.duplicate-id",
                               "node id '\(node.id.value)' is already used at line \(first.id.location.line)",
                               at: node.id)
            } else {
                firstByID[node.id.value] = node
            }
        }

        // Exactly one start, named by the header.
        let starts = flow.nodes.filter { $0.type.value == "start" }
        if starts.isEmpty {
            context.report("graph.start-count", "flow '\(flow.displayName)' has no start node", at: flow.start?.location ?? flow.location,
                           hint: "add a node of type start and name it in the header's `start:`")
        }
        for extra in starts.dropFirst() {
            context.report("graph.start-count", "flow '\(flow.displayName)' has more than one start node (first: '\(starts[0].id.value)')",
                           at: extra.type)
        }
        if let start = flow.start {
            if let node = analysis.node(start.value) {
                if node.type.value != "start" && !starts.isEmpty {
                    context.report("graph.start-count", "`start: \(start.value)` names a \(node.type.value) node, not a start node", at: start)
                }
            } else {
                context.report("graph.unknown-target", "`start: \(start.value)` names no node of this flow", at: start,
                               hint: Suggest.closest(to: start.value, in: Array(analysis.nodeIndex.keys)).map { "did you mean '\($0)'?" })
            }
        }

        // Targets exist.
        let ids = Array(analysis.nodeIndex.keys)
        for (i, node) in flow.nodes.enumerated() {
            for edge in analysis.edges[i] where analysis.nodeIndex[edge.target.value] == nil {
                let suggestion = Suggest.closest(to: edge.target.value, in: ids)
                context.report("graph.unknown-target",
                               "'\(node.id.value)' leads to '\(edge.target.value)', which is not a node of flow '\(flow.displayName)'",
                               at: edge.target, hint: suggestion.map { "did you mean '\($0)'?" })
            }
        }

        // Reachability (only meaningful with a start).
        if analysis.startIndex != nil {
            for (i, node) in flow.nodes.enumerated() where !analysis.reachable.contains(i) && analysis.nodeIndex[node.id.value] == i {
                context.report("graph.unreachable", "node '\(node.id.value)' cannot be reached from the start node", at: node.id)
            }
        }

        // Paths end in end, handover or a wait; conditions have else.
        for (i, node) in flow.nodes.enumerated() {
            guard let spec = node.spec else { continue }
            if node.type.value == "condition" && node.map["else"] == nil {
                context.report("graph.condition-no-else", "condition '\(node.id.value)' has no `else` branch", at: node.id)
            }
            if !spec.isTerminalAllowed && analysis.edges[i].isEmpty {
                let what = node.type.value == "call" ? "add `on:` outcomes or `default:`" : "add `next:`"
                context.report("graph.dead-end", "the path stops at '\(node.id.value)' (\(node.type.value)); only end, handover and wait may end a path",
                               at: node.id, hint: what)
            }
        }

        checkCycles(flow, analysis, &context)
    }

    /// Strongly connected components (Tarjan, iterative).
    static func components(_ successors: [[Int]]) -> [[Int]] {
        let n = successors.count
        var index = 0
        var indices = [Int](repeating: -1, count: n)
        var lowlink = [Int](repeating: 0, count: n)
        var onStack = [Bool](repeating: false, count: n)
        var stack: [Int] = []
        var result: [[Int]] = []
        for root in 0..<n where indices[root] == -1 {
            var work: [(node: Int, edge: Int)] = [(root, 0)]
            indices[root] = index; lowlink[root] = index; index += 1
            stack.append(root); onStack[root] = true
            while let (v, e) = work.last {
                if e < successors[v].count {
                    work[work.count - 1].edge += 1
                    let w = successors[v][e]
                    if indices[w] == -1 {
                        indices[w] = index; lowlink[w] = index; index += 1
                        stack.append(w); onStack[w] = true
                        work.append((w, 0))
                    } else if onStack[w] {
                        lowlink[v] = min(lowlink[v], indices[w])
                    }
                } else {
                    work.removeLast()
                    if let parent = work.last { lowlink[parent.node] = min(lowlink[parent.node], lowlink[v]) }
                    if lowlink[v] == indices[v] {
                        var component: [Int] = []
                        while let w = stack.popLast() {
                            onStack[w] = false
                            component.append(w)
                            if w == v { break }
                        }
                        result.append(component.sorted())
                    }
                }
            }
        }
        return result
    }

    /// A cycle is fine when it waits for input, or when a variable set in the cycle from
    /// itself (a counter) is compared in a condition of the cycle (its bound).
    static func checkCycles(_ flow: Flow, _ analysis: FlowAnalysis, _ context: inout ValidationContext) {
        for component in components(analysis.successors) {
            let isCycle = component.count > 1 || analysis.successors[component[0]].contains(component[0])
            guard isCycle else { continue }
            let nodes = component.map { flow.nodes[$0] }
            if nodes.contains(where: { $0.type.value == "wait" }) { continue }
            var counters = Set<String>()
            for (offset, node) in nodes.enumerated() where node.type.value == "set" {
                for site in analysis.sites[component[offset]] {
                    let name = site.path.hasPrefix("vars.") ? String(site.path.dropFirst(5)) : site.path
                    if site.expr?.paths.contains(where: { $0.components == ["vars", name] }) == true { counters.insert(name) }
                }
            }
            let bounded = nodes.enumerated().contains { offset, node in
                node.type.value == "condition" && analysis.sites[component[offset]].contains { site in
                    site.expr?.paths.contains { $0.components.count == 2 && $0.components[0] == "vars" && counters.contains($0.components[1]) } == true
                }
            }
            if bounded { continue }
            let first = nodes.min { $0.id.location < $1.id.location } ?? nodes[0]
            let names = nodes.sorted { $0.id.location < $1.id.location }.map(\.id.value).joined(separator: " → ")
            context.report("graph.unbounded-cycle", "cycle \(names) never waits for input and has no bounded counter", at: first.id)
        }
    }
}

/// Calls between flows: the target exists, no recursion, every outcome mapped.
enum CallRules {
    static func check(_ context: inout ValidationContext) {
        let flows = context.project.flows
        guard context.project.directory != nil else { return }
        var byName: [String: Flow] = [:]
        for flow in flows { if let name = flow.name?.value, byName[name] == nil { byName[name] = flow } }

        var calls: [String: [(target: String, node: FlowNode)]] = [:]
        for flow in flows {
            guard let name = flow.name?.value else { continue }
            for node in flow.nodes where node.type.value == "call" {
                guard let target = node.map.located("flow") else { continue }
                guard let callee = byName[target.value] else {
                    context.report("graph.call-unknown-flow", "flow '\(target.value)' does not exist in this tenant", at: target,
                                   hint: Suggest.closest(to: target.value, in: Array(byName.keys)).map { "did you mean '\($0)'?" })
                    continue
                }
                calls[name, default: []].append((target.value, node))
                let outcomes = Set(callee.nodes.filter { $0.type.value == "end" }.map { $0.map["outcome"]?.string ?? "done" })
                let mapped = Set(node.map.stringMap("on").map(\.key.value))
                let missing = outcomes.subtracting(mapped).sorted()
                if !missing.isEmpty && node.map["default"] == nil {
                    context.report("graph.call-outcome-unmapped",
                                   "flow '\(target.value)' can end with \(missing.map { "'\($0)'" }.joined(separator: ", ")), which '\(node.id.value)' does not map",
                                   at: node.id)
                }
                for key in node.map.stringMap("on").map(\.key) where !outcomes.contains(key.value) {
                    context.report("graph.call-outcome-unmapped",
                                   "flow '\(target.value)' never ends with outcome '\(key.value)'", at: key,
                                   hint: "its end nodes have outcomes: \(outcomes.sorted().joined(separator: ", "))")
                }
            }
        }
        // The entry flow exists.
        if let tenant = context.tenant, !flows.isEmpty {
            let entry = tenant.entryFlow?.value ?? "main"
            if byName[entry] == nil {
                let at = tenant.entryFlow ?? Located(entry, at: SourceLocation(file: tenant.file, line: 1, column: 1))
                context.report("graph.call-unknown-flow", "the entry flow '\(entry)' does not exist in this tenant", at: at,
                               hint: tenant.entryFlow == nil ? "name a flow `main`, or set `entry_flow:` in tenant.yaml"
                                   : Suggest.closest(to: entry, in: Array(byName.keys)).map { "did you mean '\($0)'?" })
            }
        }
        // Recursion: a call edge that closes a cycle in the call graph.
        let names = byName.keys.sorted()
        let position = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        let successors = names.map { name in (calls[name] ?? []).compactMap { position[$0.target] } }
        for component in GraphRules.components(successors) {
            let isCycle = component.count > 1 || successors[component[0]].contains(component[0])
            guard isCycle else { continue }
            let members = Set(component.map { names[$0] })
            for name in component.map({ names[$0] }) {
                for call in calls[name] ?? [] where members.contains(call.target) {
                    context.report("graph.call-recursion",
                                   "flow '\(name)' calls '\(call.target)', which leads back to '\(name)' (flows in the cycle: \(members.sorted().joined(separator: ", ")))",
                                   at: call.node.id)
                }
            }
        }
    }
}
