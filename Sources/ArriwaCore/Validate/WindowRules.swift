/// The 24-hour window across a tenant's flows: an upper bound of the time since the lead's
/// last message on entry to every node. A send, or a nudge, that may run 24 h or more after
/// it needs a template (free-form messages fail outside the window).
///
/// Bounds flow through calls both ways: a call node's outcome edges carry the bound at the
/// called flow's end nodes (a sub-flow that waits 23 h adds 23 h), and a called flow starts
/// at the largest bound of any of its call sites.
struct WindowRules {
    static let cap = WhatsAppRules.window

    let analyses: [String: FlowAnalysis]
    let autoReturn: Int64
    /// endBounds(flow, start) memo.
    var memo: [String: [Int64: [String: Int64]]] = [:]

    static func check(_ analyses: [FlowAnalysis], _ context: inout ValidationContext) {
        var byName: [String: FlowAnalysis] = [:]
        for analysis in analyses { if let name = analysis.flow.name?.value, byName[name] == nil { byName[name] = analysis } }
        var rules = WindowRules(analyses: byName, autoReturn: Int64(context.tenant?.autoReturnHours ?? 24) * 3_600_000)

        // Start bounds: 0 for the entry flow and uncalled flows, else the worst call site.
        var start: [String: Int64] = [:]
        for _ in 0...analyses.count {
            var changed = false
            for analysis in analyses {
                let name = analysis.flow.name?.value ?? ""
                let (_, calls) = rules.propagate(analysis, start: start[name] ?? 0, visiting: [name])
                for call in calls where call.incoming > (start[call.callee] ?? 0) {
                    start[call.callee] = call.incoming
                    changed = true
                }
            }
            if !changed { break }
        }
        for analysis in analyses {
            let name = analysis.flow.name?.value ?? ""
            let (entry, _) = rules.propagate(analysis, start: start[name] ?? 0, visiting: [name])
            report(analysis, entry, calledLate: (start[name] ?? 0) > 0, &context)
        }
    }

    /// Bounds on entry to each node, and each call site's incoming bound.
    mutating func propagate(_ analysis: FlowAnalysis, start: Int64, visiting: Set<String>) -> (entry: [Int64?], calls: [(callee: String, incoming: Int64)]) {
        let flow = analysis.flow
        var entry = [Int64?](repeating: nil, count: flow.nodes.count)
        var calls: [(callee: String, incoming: Int64)] = []
        guard let first = analysis.startIndex else { return (entry, calls) }
        entry[first] = min(start, Self.cap)
        var work = [first]
        while let i = work.popLast() {
            guard let incoming = entry[i] else { continue }
            let node = flow.nodes[i]
            var afterCall: [String: Int64]? = nil
            if node.type.value == "call", let callee = node.map["flow"]?.string {
                calls.append((callee, incoming))
                afterCall = endBounds(callee, start: incoming, visiting: visiting)
            }
            let mapped = Set(node.map.stringMap("on").map(\.key.value))
            for edge in analysis.edges[i] {
                guard let target = analysis.nodeIndex[edge.target.value] else { continue }
                var out = incoming
                if let afterCall {
                    // An outcome edge carries that outcome's bound; `default` the worst unmapped one.
                    let outcomes = edge.label == "default" ? afterCall.filter { !mapped.contains($0.key) } : afterCall.filter { $0.key == edge.label }
                    out = outcomes.values.max() ?? incoming
                }
                switch node.type.value {
                case "wait":
                    let timeout = node.map.durationMS("timeout")?.value
                    switch edge.label {
                    case "message": out = 0
                    case "timeout": out = incoming + (timeout ?? Self.cap)
                    default: out = timeout.map { incoming + $0 } ?? Self.cap
                    }
                case "handover": out = incoming + autoReturn
                default: break
                }
                out = min(out, Self.cap)
                if entry[target].map({ out > $0 }) ?? true {
                    entry[target] = out
                    work.append(target)
                }
            }
        }
        return (entry, calls)
    }

    /// Per outcome, the bound when `flow`, started at `start`, reaches an end node with that
    /// outcome. Unknown flows and recursion (reported elsewhere) add nothing (empty: callers
    /// keep their incoming bound).
    mutating func endBounds(_ name: String, start: Int64, visiting: Set<String>) -> [String: Int64] {
        if let known = memo[name]?[start] { return known }
        guard let analysis = analyses[name], !visiting.contains(name) else { return [:] }
        let (entry, _) = propagate(analysis, start: start, visiting: visiting.union([name]))
        var result: [String: Int64] = [:]
        for (i, node) in analysis.flow.nodes.enumerated() where node.type.value == "end" {
            guard let bound = entry[i] else { continue }
            let outcome = node.map["outcome"]?.string ?? "done"
            result[outcome] = max(result[outcome] ?? bound, bound)
        }
        memo[name, default: [:]][start] = result
        return result
    }

    static func report(_ analysis: FlowAnalysis, _ entry: [Int64?], calledLate: Bool, _ context: inout ValidationContext) {
        let why = calledLate ? " (counting the time before this flow is called)" : ""
        for (i, node) in analysis.flow.nodes.enumerated() {
            guard let bound = entry[i] else { continue }
            if node.type.value == "wa.send", bound >= cap, node.map["template"] == nil {
                context.report("wa.template-required",
                               "'\(node.id.value)' can run 24 h or more after the lead's last message\(why) and has no `template:`", at: node.id)
            }
            if node.type.value == "wait" {
                for nudge in node.map["nudges"]?.sequence?.items.compactMap(\.mapping) ?? [] {
                    guard let after = nudge.durationMS("after"), nudge["template"] == nil else { continue }
                    if bound + after.value >= cap {
                        context.report("wa.template-required",
                                       "this nudge can fire 24 h or more after the lead's last message\(why) and has no `template:`", at: after.location)
                    }
                }
            }
        }
    }
}
