import Foundation

/// Checks a YAML tree against a `Schema`: unknown keys (with a did-you-mean), wrong types,
/// missing required keys, values outside their set or format. Every finding is at the exact
/// position of the offending key or value.
public struct SchemaChecker {
    public private(set) var diagnostics: [Diagnostic] = []

    public init() {}

    public static func check(_ node: YNode, against schema: Schema) -> [Diagnostic] {
        var checker = SchemaChecker()
        checker.check(node, schema)
        return checker.diagnostics
    }

    private mutating func report(_ rule: String, _ message: String, at location: SourceLocation, length: Int = 1, hint: String? = nil) {
        diagnostics.append(Diagnostic(rule: rule, message: message, at: location, length: length, hint: hint))
    }

    private static func kindFits(_ node: YNode, _ schema: Schema) -> Bool {
        switch (schema, node) {
        case (.any, _): return true
        case (.object, .mapping), (.map, .mapping), (.flowNode, .mapping): return true
        case (.array, .sequence): return true
        case (.string, .scalar), (.integer, .scalar), (.number, .scalar), (.boolean, .scalar): return true
        case (.oneOf(let alternatives), _): return alternatives.contains { kindFits(node, $0) }
        default: return false
        }
    }

    private static func expected(_ schema: Schema) -> String {
        switch schema {
        case .string(let format): format.summary
        case .integer: "integer"
        case .number: "number"
        case .boolean: "boolean (true or false)"
        case .array: "list"
        case .object(let o): "mapping (\(o.title))"
        case .map: "mapping"
        case .flowNode: "node mapping"
        case .any: "any value"
        case .oneOf(let alternatives): alternatives.map(expected).joined(separator: " or ")
        }
    }

    mutating func check(_ node: YNode, _ schema: Schema) {
        switch schema {
        case .any:
            return
        case .oneOf(let alternatives):
            let fits = alternatives.filter { Self.kindFits(node, $0) }
            guard let first = fits.first else {
                report("schema.type", "\(place.isEmpty ? "value" : "'\(place)'") must be \(Self.expected(schema)), found \(node.kindName)", at: node.location)
                return
            }
            // Several alternatives of the same kind (integer or text): the first that accepts the value wins.
            for alternative in fits.dropFirst() {
                var trial = SchemaChecker()
                trial.stack = stack
                trial.check(node, first)
                if trial.diagnostics.isEmpty { break }
                var other = SchemaChecker()
                other.stack = stack
                other.check(node, alternative)
                if other.diagnostics.isEmpty { return }
            }
            check(node, first)
        case .string(let format):
            guard case .scalar(let s) = node, !s.isNull else {
                report("schema.type", "'\(place)' must be \(format.summary), found \(node.kindName)", at: node.location)
                return
            }
            checkString(s, format)
        case .integer(let min, let max):
            guard case .scalar(let s) = node, let value = s.intValue else {
                report("schema.type", "'\(place)' must be an integer, found \(node.kindName)", at: node.location)
                return
            }
            if let min, value < min { report("schema.invalid-value", "'\(place)' must be at least \(min), found \(value)", at: node.location) }
            if let max, value > max { report("schema.invalid-value", "'\(place)' must be at most \(max), found \(value)", at: node.location) }
        case .number(let min, let max):
            guard case .scalar(let s) = node, let value = s.doubleValue else {
                report("schema.type", "'\(place)' must be a number, found \(node.kindName)", at: node.location)
                return
            }
            if let min, value < min { report("schema.invalid-value", "'\(place)' must be at least \(min), found \(s.text)", at: node.location) }
            if let max, value > max { report("schema.invalid-value", "'\(place)' must be at most \(max), found \(s.text)", at: node.location) }
        case .boolean:
            guard case .scalar(let s) = node, s.boolValue != nil else {
                report("schema.type", "'\(place)' must be true or false, found \(node.kindName)", at: node.location)
                return
            }
        case .array(let item, let minItems, let maxItems):
            guard case .sequence(let seq) = node else {
                report("schema.type", "'\(place)' must be a list, found \(node.kindName)", at: node.location)
                return
            }
            if let minItems, seq.items.count < minItems {
                report("schema.invalid-value", "'\(place)' needs at least \(minItems) item\(minItems == 1 ? "" : "s")", at: node.location)
            }
            if let maxItems, seq.items.count > maxItems {
                report("schema.invalid-value", "'\(place)' takes at most \(maxItems) items, found \(seq.items.count)", at: node.location)
            }
            for (index, element) in seq.items.enumerated() {
                stack.append(.index(index))
                check(element, item)
                stack.removeLast()
            }
        case .map(let keyFormat, let value):
            guard case .mapping(let map) = node else {
                report("schema.type", "'\(place)' must be a mapping, found \(node.kindName)", at: node.location)
                return
            }
            for pair in map.pairs {
                checkString(pair.key, keyFormat, keyOf: true)
                stack.append(.key(pair.key.text))
                check(pair.value, value)
                stack.removeLast()
            }
        case .object(let object):
            checkObject(node, object)
        case .flowNode:
            checkFlowNode(node)
        }
    }

    /// Where the checker is, as keys and list indices; joined into text only for a message.
    enum PlaceComponent { case key(String), index(Int) }
    var stack: [PlaceComponent] = []

    /// `nodes[3].branches[0].when`.
    var place: String {
        var text = ""
        for component in stack {
            switch component {
            case .key(let key): text += text.isEmpty ? key : ".\(key)"
            case .index(let index): text += "[\(index)]"
            }
        }
        return text
    }

    mutating func checkObject(_ node: YNode, _ object: ObjectSchema, skipping: Set<String> = []) {
        guard case .mapping(let map) = node else {
            report("schema.type", "\(place.isEmpty ? "the document" : "'\(place)'") must be a mapping (\(object.title)), found \(node.kindName)", at: node.location)
            return
        }
        for pair in map.pairs where !skipping.contains(pair.key.text) {
            let key = pair.key.text
            if let prefix = object.extensionPrefix, key.hasPrefix(prefix) { continue }
            guard let property = object.property(key) else {
                let suggestion = Suggest.closest(to: key, in: object.properties.map(\.name))
                report("schema.unknown-key",
                       "unknown key '\(key)' in \(object.title)",
                       at: pair.key.location, length: key.count,
                       hint: suggestion.map { "did you mean '\($0)'?" } ?? "accepted keys: \(object.properties.map(\.name).joined(separator: ", "))")
                continue
            }
            stack.append(.key(key))
            check(pair.value, property.schema)
            stack.removeLast()
        }
        for property in object.properties where property.required && map[property.name] == nil && !skipping.contains(property.name) {
            report("schema.missing-key", "\(object.title) is missing required key '\(property.name)'", at: map.location,
                   hint: property.summary)
        }
    }

    mutating func checkFlowNode(_ node: YNode) {
        guard case .mapping(let map) = node else {
            report("schema.type", "'\(place)' must be a node mapping with `id` and `type`, found \(node.kindName)", at: node.location)
            return
        }
        guard let typeNode = map["type"] else {
            report("schema.missing-key", "node is missing required key 'type'", at: map.location,
                   hint: "one of: \(NodeCatalog.typeNames.joined(separator: ", "))")
            return
        }
        guard let typeName = typeNode.string else {
            report("schema.type", "'type' must be a string, found \(typeNode.kindName)", at: typeNode.location)
            return
        }
        guard let spec = NodeCatalog.spec(for: typeName) else {
            let suggestion = Suggest.closest(to: typeName, in: NodeCatalog.typeNames)
            report("schema.invalid-value", "unknown node type '\(typeName)'", at: typeNode.location, length: typeName.count,
                   hint: suggestion.map { "did you mean '\($0)'?" } ?? "one of: \(NodeCatalog.typeNames.joined(separator: ", "))")
            return
        }
        checkObject(node, spec.schema)
    }

    mutating func checkString(_ s: YScalar, _ format: StringFormat, keyOf: Bool = false) {
        var place: String { keyOf ? "key of \(self.place)" : self.place }
        let text = s.text
        switch format {
        case .text, .template, .expression:
            return
        case .identifier:
            if !Patterns.isIdentifier(text) {
                report("schema.invalid-value", "'\(text)' is not a valid name for '\(place)'", at: s.location, length: text.count,
                       hint: "use letters, digits, '_', '-' and '.', starting with a letter")
            }
        case .envVar:
            if !Patterns.isEnvVar(text) {
                report("schema.invalid-value", "'\(place)' must name an environment variable (A-Z, 0-9, _), found '\(text)'", at: s.location, length: text.count,
                       hint: "credentials come from the environment: name the variable, never paste the value")
            }
        case .duration:
            if DurationSyntax.milliseconds(text) == nil {
                report("schema.invalid-value", "'\(text)' is not a duration for '\(place)'", at: s.location, length: text.count,
                       hint: "write e.g. 90s, 15m, 1h30m or 2d")
            }
        case .semver:
            if !Patterns.isSemver(text) {
                report("schema.invalid-value", "'\(text)' is not a semantic version for '\(place)'", at: s.location, length: text.count,
                       hint: "write MAJOR.MINOR.PATCH, e.g. 1.0.0")
            }
        case .language:
            if !Patterns.isLanguage(text) {
                report("schema.invalid-value", "'\(text)' is not a language code for '\(place)'", at: s.location, length: text.count,
                       hint: "write a code such as en, ru or pt-BR")
            }
        case .oneOf(let values):
            if !values.contains(text) {
                let suggestion = Suggest.closest(to: text, in: values)
                report("schema.invalid-value", "'\(text)' is not allowed for '\(place)'; expected one of \(values.joined(separator: ", "))",
                       at: s.location, length: text.count, hint: suggestion.map { "did you mean '\($0)'?" })
            }
        }
    }
}

/// Small, fast matchers for the string formats (no regex engine on the hot path).
public enum Patterns {
    public static func isIdentifier(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first.isASCIILetter || first == "_" else { return false }
        return s.unicodeScalars.allSatisfy { $0.isASCIILetter || $0.isASCIIDigit || $0 == "_" || $0 == "-" || $0 == "." }
    }

    public static func isEnvVar(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, (first >= "A" && first <= "Z") || first == "_" else { return false }
        return s.unicodeScalars.allSatisfy { ($0 >= "A" && $0 <= "Z") || $0.isASCIIDigit || $0 == "_" }
    }

    public static func isSemver(_ s: String) -> Bool {
        let core = s.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard let numbers = core.first else { return false }
        let parts = numbers.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return false }
        for part in parts {
            guard !part.isEmpty, part.unicodeScalars.allSatisfy(\.isASCIIDigit) else { return false }
            if part.count > 1 && part.hasPrefix("0") { return false }
        }
        if core.count == 2 {
            let pre = core[1]
            return !pre.isEmpty && pre.unicodeScalars.allSatisfy { $0.isASCIILetter || $0.isASCIIDigit || $0 == "." || $0 == "-" }
        }
        return true
    }

    public static func isLanguage(_ s: String) -> Bool {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard let first = parts.first, (2...3).contains(first.count), first.unicodeScalars.allSatisfy({ $0 >= "a" && $0 <= "z" }) else { return false }
        return parts.dropFirst().allSatisfy { (2...8).contains($0.count) && $0.unicodeScalars.allSatisfy { $0.isASCIILetter || $0.isASCIIDigit } }
    }
}

extension Unicode.Scalar {
    var isASCIILetter: Bool { (self >= "a" && self <= "z") || (self >= "A" && self <= "Z") }
    var isASCIIDigit: Bool { self >= "0" && self <= "9" }
}
