/// Pictures of a flow: Mermaid (`flowchart TD`) and Graphviz DOT. Nodes are labelled with their
/// id and type and shaped by type; edges carry their outcome (`next`, `valid`, `else`, a
/// condition's `when`). Edges to ids the flow does not define are drawn to a marked
/// placeholder so broken flows can be pictured too.
public enum FlowGraph {
    public enum Format: String, Sendable, CaseIterable {
        case mermaid
        case dot
    }

    /// Longest edge label; longer ones (usually `when` expressions) are cut with `…`.
    public static let maxLabelLength = 40

    /// `text` on one line, cut to at most `limit` characters, the last being `…`.
    public static func shorten(_ text: String, to limit: Int = maxLabelLength) -> String {
        let oneLine = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters() }.joined(separator: " ")
        guard oneLine.count > limit, limit > 0 else { return oneLine }
        return String(oneLine.prefix(limit - 1).trimmingCharacters()) + "…"
    }

    /// Renders several flows: DOT as consecutive `digraph`s; Mermaid as one diagram per flow,
    /// each under a `%% flow:` comment, or with `markdown` under a heading in a ```mermaid fence.
    public static func render(_ flows: [Flow], format: Format, markdown: Bool = false) -> String {
        switch format {
        case .dot:
            return flows.map(dot).joined(separator: "\n")
        case .mermaid:
            if markdown {
                return flows.map { flow in
                    let heading = flows.count > 1 ? "## \(flow.displayName)\n\n" : ""
                    return heading + "```mermaid\n" + mermaid(flow) + "```\n"
                }.joined(separator: "\n")
            }
            if flows.count == 1 { return mermaid(flows[0]) }
            return flows.map { "%% flow: \(oneLine($0.displayName))\n" + mermaid($0) }.joined(separator: "\n")
        }
    }

    // MARK: Mermaid

    public static func mermaid(_ flow: Flow) -> String {
        let layout = Layout(flow)
        var out = "flowchart TD\n"
        for (index, node) in flow.nodes.enumerated() {
            let label = mermaidText(node.id.value) + "<br/>" + mermaidText(node.type.value)
            let (open, close) = mermaidShape(node.type.value)
            out += "    \(layout.nodeKeys[index])\(open)\"\(label)\"\(close)\n"
        }
        for (target, key) in layout.missing {
            out += "    \(key)[\"\(mermaidText(target))<br/>(missing)\"]\n"
        }
        for (index, node) in flow.nodes.enumerated() {
            for edge in node.edges {
                let label = mermaidText(shorten(edge.label))
                out += "    \(layout.nodeKeys[index]) -->|\"\(label)\"| \(layout.key(for: edge.target.value))\n"
            }
        }
        if !layout.missing.isEmpty {
            out += "    classDef missing stroke-dasharray: 5 5,stroke:#c00,color:#c00\n"
            out += "    class \(layout.missing.map(\.key).joined(separator: ",")) missing\n"
        }
        return out
    }

    static func mermaidShape(_ type: String) -> (open: String, close: String) {
        switch type {
        case "start": ("([", "])")
        case "condition": ("{", "}")
        case "wait": ("{{", "}}")
        case "end": ("(((", ")))")
        case "handover": ("[[", "]]")
        default: ("[", "]")
        }
    }

    /// Text inside a quoted Mermaid label: entity codes for `"` and for what Mermaid or its
    /// HTML labels would read as syntax (`#`, `&`, `<`, `>`, `|`); line breaks become spaces.
    public static func mermaidText(_ text: String) -> String {
        var out = ""
        for c in oneLine(text) {
            switch c {
            case "#": out += "#35;"
            case "\"": out += "#quot;"
            case "&": out += "#amp;"
            case "<": out += "#lt;"
            case ">": out += "#gt;"
            case "|": out += "#124;"
            default: out.append(c)
            }
        }
        return out
    }

    // MARK: DOT

    public static func dot(_ flow: Flow) -> String {
        let layout = Layout(flow)
        var out = "digraph \(dotString(flow.displayName)) {\n"
        out += "    rankdir=TB;\n"
        out += "    node [fontname=\"Helvetica\", fontsize=11];\n"
        out += "    edge [fontname=\"Helvetica\", fontsize=10];\n"
        for node in flow.nodes {
            let label = dotString(node.id.value + "\n" + node.type.value)
            out += "    \(dotString(node.id.value)) [label=\(label), \(dotShape(node.type.value))];\n"
        }
        for (target, _) in layout.missing {
            out += "    \(dotString(target)) [label=\(dotString(target + "\n(missing)")), shape=box, style=dashed, color=red, fontcolor=red];\n"
        }
        for node in flow.nodes {
            for edge in node.edges {
                out += "    \(dotString(node.id.value)) -> \(dotString(edge.target.value)) [label=\(dotString(shorten(edge.label)))];\n"
            }
        }
        out += "}\n"
        return out
    }

    static func dotShape(_ type: String) -> String {
        switch type {
        case "start": "shape=box, style=rounded"
        case "condition": "shape=diamond"
        case "wait": "shape=hexagon"
        case "end": "shape=doublecircle"
        case "handover": "shape=box, peripheries=2"
        default: "shape=box"
        }
    }

    /// A DOT quoted string: `"` and `\` escaped, line breaks as `\n` (centred lines).
    public static func dotString(_ text: String) -> String {
        var out = "\""
        for c in text {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n", "\r\n": out += "\\n"
            case "\r": break
            default: out.append(c)
            }
        }
        return out + "\""
    }

    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    /// Mermaid keys for nodes (`n0`, `n1`, … by position: ids may hold `.` and `-`, which
    /// Mermaid reads as syntax) and the edge targets no node defines.
    struct Layout {
        var nodeKeys: [String]
        var byID: [String: String]
        var missing: [(target: String, key: String)]

        init(_ flow: Flow) {
            nodeKeys = flow.nodes.indices.map { "n\($0)" }
            var byID: [String: String] = [:]
            for (index, node) in flow.nodes.enumerated() where byID[node.id.value] == nil {
                byID[node.id.value] = nodeKeys[index]
            }
            var missing: [(target: String, key: String)] = []
            for node in flow.nodes {
                for edge in node.edges where byID[edge.target.value] == nil {
                    let key = "m\(missing.count)"
                    byID[edge.target.value] = key
                    missing.append((edge.target.value, key))
                }
            }
            self.byID = byID
            self.missing = missing
        }

        func key(for id: String) -> String { byID[id] ?? "missing" }
    }
}

extension Substring {
    fileprivate func trimmingCharacters() -> Substring {
        var s = self
        while let first = s.first, first.isWhitespace { s = s.dropFirst() }
        while let last = s.last, last.isWhitespace { s = s.dropLast() }
        return s
    }
}
