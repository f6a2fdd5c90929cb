/// Regular expressions (ECMA-262, as JSON Schema uses them) equivalent to the Swift matchers in
/// `Patterns` and `DurationSyntax`. Tests run both over the same cases.
public enum JSONSchemaPatterns {
    /// `Patterns.isIdentifier`: letters, digits, `_`, `-`, `.`; starts with a letter or `_`.
    public static let identifier = "^[A-Za-z_][A-Za-z0-9_.-]*$"
    /// `Patterns.isEnvVar`: `A-Z`, `0-9`, `_`; starts with a letter or `_`.
    public static let envVar = "^[A-Z_][A-Z0-9_]*$"
    /// `Patterns.isSemver`: `MAJOR.MINOR.PATCH` without leading zeros, optional `-prerelease`.
    public static let semver = "^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(-[A-Za-z0-9.-]+)?$"
    /// `DurationSyntax.milliseconds`: one or more `<digits><unit>` with unit ms, s, m, h or d.
    public static let duration = "^([0-9]+(ms|[smhd]))+$"
    /// The longest text `DurationSyntax` reads.
    public static let durationMaxLength = 64
    /// `Patterns.isLanguage`: `en`, `pt-BR`, `zh-Hant-TW`.
    public static let language = "^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"

    /// The pattern of a string format, when it has one.
    public static func pattern(for format: StringFormat) -> String? {
        switch format {
        case .identifier: identifier
        case .envVar: envVar
        case .semver: semver
        case .duration: duration
        case .language: language
        case .text, .template, .expression, .oneOf: nil
        }
    }
}

/// Turns the Swift schema definitions (`FileSchemas`, `NodeCatalog`) into JSON Schema draft-07
/// documents for yaml-language-server: completion, hover and validation in editors.
public enum JSONSchemaGenerator {
    public static let draft = "http://json-schema.org/draft-07/schema#"

    /// tenant.yaml
    public static func tenant() -> JSONValue { document(FileSchemas.tenant) }
    /// manifest.yaml
    public static func manifest() -> JSONValue { document(FileSchemas.manifest) }
    /// *.flow.yaml, with one definition per node type.
    public static func flow() -> JSONValue { document(FileSchemas.flow) }

    /// The name of a node type's definition (`#/definitions/node.wa.send`).
    public static func definitionName(forNodeType type: String) -> String { "node.\(type)" }
    public static let flowNodeDefinition = "flowNode"

    /// A complete document for a file whose root is `object`.
    public static func document(_ object: ObjectSchema) -> JSONValue {
        var builder = Builder()
        let root = builder.object(object, description: object.summary)
        var pairs: [(key: String, value: JSONValue)] = [("$schema", .string(draft))]
        if case .object(let body) = root { pairs += body }
        if !builder.definitions.isEmpty {
            pairs.append(("definitions", .object(builder.definitions)))
        }
        return .object(pairs)
    }

    /// The JSON Schema of one Swift schema (definitions it needs are not included).
    public static func schema(_ schema: Schema) -> JSONValue {
        var builder = Builder()
        return builder.schema(schema)
    }

    /// The text of a property's `description`: its summary, then its default.
    public static func description(of property: Property) -> String {
        guard let defaultValue = property.defaultValue else { return property.summary }
        return property.summary + "\n\nDefault: " + defaultValue
    }

    /// JSON types a value of this schema can have. A YAML plain scalar such as `12345` or
    /// `true` is a string to Arriwa wherever free text is expected, so free-text formats
    /// accept numbers and booleans too; formats with a pattern or a fixed set do not.
    static func jsonTypes(_ schema: Schema) -> Set<String> {
        switch schema {
        case .string(let format): isFreeText(format) ? ["string", "number", "integer", "boolean"] : ["string"]
        case .integer: ["integer", "number"]
        case .number: ["number", "integer"]
        case .boolean: ["boolean"]
        case .array: ["array"]
        case .object, .map, .flowNode: ["object"]
        case .any: ["string", "number", "integer", "boolean", "array", "object", "null"]
        case .oneOf(let alternatives): alternatives.reduce(into: Set<String>()) { $0.formUnion(jsonTypes($1)) }
        }
    }

    static func isFreeText(_ format: StringFormat) -> Bool {
        switch format {
        case .text, .template, .expression: true
        case .identifier, .envVar, .duration, .semver, .language, .oneOf: false
        }
    }

    /// Escapes a literal for use in an ECMA-262 regular expression (also valid with the `u`
    /// flag, which rejects escapes of characters such as `-`).
    static func regexLiteral(_ text: String) -> String {
        var out = ""
        for c in text {
            if "\\^$.|?*+()[]{}".contains(c) { out.append("\\") }
            out.append(c)
        }
        return out
    }

    /// The YAML default text as a JSON value, when it is a plain value of the property's type.
    static func defaultValue(_ text: String, for schema: Schema) -> JSONValue? {
        switch schema {
        case .integer(let min, let max):
            guard let value = Int(text), value >= (min ?? .min), value <= (max ?? .max) else { return nil }
            return .int(value)
        case .number(let min, let max):
            guard let value = Double(text), value.isFinite, value >= (min ?? -.infinity), value <= (max ?? .infinity) else { return nil }
            return .double(value)
        case .boolean:
            switch text {
            case "true": return .bool(true)
            case "false": return .bool(false)
            default: return nil
            }
        case .string(let format):
            switch format {
            case .oneOf(let values): return values.contains(text) ? .string(text) : nil
            case .duration: return DurationSyntax.milliseconds(text) != nil ? .string(text) : nil
            case .identifier: return Patterns.isIdentifier(text) ? .string(text) : nil
            case .envVar, .semver, .language, .text, .template, .expression: return nil
            }
        case .array, .object, .map, .oneOf, .flowNode, .any:
            return nil
        }
    }

    struct Builder {
        var definitions: [(key: String, value: JSONValue)] = []

        mutating func schema(_ schema: Schema) -> JSONValue {
            switch schema {
            case .string(let format):
                return string(format)
            case .integer(let min, let max):
                var pairs: [(key: String, value: JSONValue)] = [("type", .string("integer"))]
                if let min { pairs.append(("minimum", .int(min))) }
                if let max { pairs.append(("maximum", .int(max))) }
                return .object(pairs)
            case .number(let min, let max):
                var pairs: [(key: String, value: JSONValue)] = [("type", .string("number"))]
                if let min { pairs.append(("minimum", .double(min))) }
                if let max { pairs.append(("maximum", .double(max))) }
                return .object(pairs)
            case .boolean:
                return .object([("type", .string("boolean"))])
            case .array(let item, let minItems, let maxItems):
                var pairs: [(key: String, value: JSONValue)] = [("type", .string("array")), ("items", self.schema(item))]
                if let minItems { pairs.append(("minItems", .int(minItems))) }
                if let maxItems { pairs.append(("maxItems", .int(maxItems))) }
                return .object(pairs)
            case .object(let object):
                return self.object(object, description: object.summary)
            case .map(let key, let value):
                var pairs: [(key: String, value: JSONValue)] = [("type", .string("object"))]
                var names: [(key: String, value: JSONValue)] = []
                if let pattern = JSONSchemaPatterns.pattern(for: key) { names.append(("pattern", .string(pattern))) }
                if case .oneOf(let values) = key { names.append(("enum", .array(values.map(JSONValue.string)))) }
                if !names.isEmpty { pairs.append(("propertyNames", .object(names))) }
                pairs.append(("additionalProperties", self.schema(value)))
                return .object(pairs)
            case .oneOf(let alternatives):
                let converted = alternatives.map { self.schema($0) }
                // JSON Schema's oneOf needs exactly one match; when alternatives overlap
                // (e.g. an integer or free text) anyOf says what Arriwa means.
                var seen = Set<String>()
                var disjoint = true
                for alternative in alternatives {
                    let types = JSONSchemaGenerator.jsonTypes(alternative)
                    if !seen.isDisjoint(with: types) { disjoint = false }
                    seen.formUnion(types)
                }
                return .object([(disjoint ? "oneOf" : "anyOf", .array(converted))])
            case .flowNode:
                defineFlowNodes()
                return .object([("$ref", .string("#/definitions/\(JSONSchemaGenerator.flowNodeDefinition)"))])
            case .any:
                return .object([])
            }
        }

        func string(_ format: StringFormat) -> JSONValue {
            var pairs: [(key: String, value: JSONValue)] = []
            if JSONSchemaGenerator.isFreeText(format) {
                pairs.append(("type", .array([.string("string"), .string("number"), .string("boolean")])))
            } else {
                pairs.append(("type", .string("string")))
            }
            if case .oneOf(let values) = format {
                pairs.append(("enum", .array(values.map(JSONValue.string))))
            }
            if let pattern = JSONSchemaPatterns.pattern(for: format) {
                pairs.append(("pattern", .string(pattern)))
            }
            if case .duration = format {
                pairs.append(("maxLength", .int(JSONSchemaPatterns.durationMaxLength)))
            }
            return .object(pairs)
        }

        mutating func object(_ object: ObjectSchema, description: String) -> JSONValue {
            var pairs: [(key: String, value: JSONValue)] = [("title", .string(object.title))]
            if !description.isEmpty { pairs.append(("description", .string(description))) }
            pairs.append(("type", .string("object")))
            let required = object.properties.filter(\.required).map { JSONValue.string($0.name) }
            if !required.isEmpty { pairs.append(("required", .array(required))) }
            pairs.append(("properties", .object(object.properties.map { ($0.name, property($0)) })))
            if let prefix = object.extensionPrefix {
                pairs.append(("patternProperties", .object([("^" + JSONSchemaGenerator.regexLiteral(prefix), .object([]))])))
            }
            pairs.append(("additionalProperties", .bool(false)))
            return .object(pairs)
        }

        /// A property's schema with its own description (which wins over an object's summary
        /// for hover) and its default when that is a plain value.
        mutating func property(_ property: Property) -> JSONValue {
            let body = schema(property.schema)
            var pairs: [(key: String, value: JSONValue)] = [("description", .string(JSONSchemaGenerator.description(of: property)))]
            if case .object(let inner) = body {
                pairs += inner.filter { $0.key != "description" }
            }
            if let text = property.defaultValue, let value = JSONSchemaGenerator.defaultValue(text, for: property.schema) {
                pairs.append(("default", value))
            }
            return .object(pairs)
        }

        mutating func defineFlowNodes() {
            guard !definitions.contains(where: { $0.key == JSONSchemaGenerator.flowNodeDefinition }) else { return }
            let names = NodeCatalog.all.map(\.name)
            let dispatch: [JSONValue] = names.map { name in
                .object([
                    ("if", .object([
                        ("properties", .object([("type", .object([("const", .string(name))]))])),
                        ("required", .array([.string("type")])),
                    ])),
                    ("then", .object([("$ref", .string("#/definitions/\(JSONSchemaGenerator.definitionName(forNodeType: name))"))])),
                ])
            }
            let flowNode: JSONValue = .object([
                ("title", .string("node")),
                ("description", .string("A node of the flow graph; its `type` decides the other keys.")),
                ("type", .string("object")),
                ("required", .array([.string("id"), .string("type")])),
                ("properties", .object([
                    ("id", .object([
                        ("description", .string("Unique id of the node within its flow.")),
                        ("type", .string("string")),
                        ("pattern", .string(JSONSchemaPatterns.identifier)),
                    ])),
                    ("type", .object([
                        ("description", .string("The node type.")),
                        ("type", .string("string")),
                        ("enum", .array(names.map(JSONValue.string))),
                    ])),
                ])),
                ("allOf", .array(dispatch)),
            ])
            definitions.append((JSONSchemaGenerator.flowNodeDefinition, flowNode))
            for spec in NodeCatalog.all {
                let summary = spec.summary.isEmpty ? spec.schema.summary : spec.summary
                definitions.append((JSONSchemaGenerator.definitionName(forNodeType: spec.name), object(spec.schema, description: summary)))
            }
        }
    }
}
