/// Every expression and `${...}` template written in a node (or any YAML tree), found by
/// walking the node together with its schema: a scalar whose format is `.expression` or
/// `.template` is a site. New node keys get checked without touching the validator.
public struct ExpressionSite: Sendable {
    public enum Kind: Sendable, Hashable { case expression, template }
    public var kind: Kind
    public var scalar: YScalar
    /// Key path inside the node, e.g. `branches[0].when`, `vars.retries`, `text.en`.
    public var path: String
    public var expr: Expr?
    public var template: Template?
    public var error: ExprError?

    /// Source location of an expression span inside the scalar.
    public func location(of span: ExprSpan) -> SourceLocation { scalar.location(atOffset: span.offset) }
}

public enum ExpressionSites {
    public static func collect(in node: YNode, schema: Schema, path: String = "") -> [ExpressionSite] {
        var sites: [ExpressionSite] = []
        walk(node, schema, path, &sites)
        return sites
    }

    /// Sites of a flow node, by its node type's schema.
    public static func collect(in node: FlowNode) -> [ExpressionSite] {
        guard let spec = node.spec else { return [] }
        return collect(in: .mapping(node.map), schema: .object(spec.schema))
    }

    private static func join(_ a: String, _ b: String) -> String { a.isEmpty ? b : "\(a).\(b)" }

    private static func walk(_ node: YNode, _ schema: Schema, _ path: String, _ sites: inout [ExpressionSite]) {
        switch (schema, node) {
        case (.string(.expression), .scalar(let s)) where !s.isNull:
            var site = ExpressionSite(kind: .expression, scalar: s, path: path)
            do { site.expr = try ExprParser.parse(s.text) } catch { site.error = error }
            sites.append(site)
        case (.string(.template), .scalar(let s)) where !s.isNull:
            var site = ExpressionSite(kind: .template, scalar: s, path: path)
            do { site.template = try Template.parse(s.text) } catch { site.error = error }
            sites.append(site)
        case (.oneOf(let alternatives), _):
            let fit = alternatives.first { alternative in
                switch (alternative, node) {
                case (.string, .scalar), (.integer, .scalar), (.number, .scalar), (.boolean, .scalar),
                     (.object, .mapping), (.map, .mapping), (.array, .sequence), (.any, _): true
                default: false
                }
            }
            if let fit { walk(node, fit, path, &sites) }
        case (.array(let item, _, _), .sequence(let seq)):
            for (index, element) in seq.items.enumerated() { walk(element, item, "\(path)[\(index)]", &sites) }
        case (.map(_, let value), .mapping(let map)):
            for pair in map.pairs { walk(pair.value, value, join(path, pair.key.text), &sites) }
        case (.object(let object), .mapping(let map)):
            for pair in map.pairs {
                if let property = object.property(pair.key.text) { walk(pair.value, property.schema, join(path, pair.key.text), &sites) }
            }
        default:
            return
        }
    }
}
