/// A declarative description of what a YAML place accepts. One description drives three
/// things: the loader's checks (unknown keys, wrong types, missing keys, all at their
/// position), the JSON Schemas editors use, and the node reference pages in `nodes/`.
public indirect enum Schema: Sendable {
    case string(StringFormat)
    case integer(min: Int? = nil, max: Int? = nil)
    case number(min: Double? = nil, max: Double? = nil)
    case boolean
    case array(Schema, minItems: Int? = nil, maxItems: Int? = nil)
    case object(ObjectSchema)
    /// A mapping with free keys (optionally of a format) and values of one schema.
    case map(key: StringFormat, value: Schema)
    /// The first alternative whose YAML kind (scalar, mapping, list) fits the node is used.
    case oneOf([Schema])
    /// A list item of a flow's `nodes:`: an object discriminated by its `type` key.
    case flowNode
    /// Anything (used for free-form custom data).
    case any
}

/// What a string must look like.
public enum StringFormat: Sendable, Hashable {
    case text
    /// A name: letters, digits, `_`, `-`, `.`; starts with a letter or `_`.
    case identifier
    /// An upper-case environment variable name (`WA_TOKEN`).
    case envVar
    /// A boolean expression or value expression (see docs/authoring.md).
    case expression
    /// Text with `${...}` interpolation.
    case template
    /// `90s`, `15m`, `1h30m`, `2d`.
    case duration
    /// Semantic version `1.2.3`.
    case semver
    /// A language code (`en`, `ru`, `pt-BR`).
    case language
    /// One of a fixed set.
    case oneOf([String])

    public var summary: String {
        switch self {
        case .text: "string"
        case .identifier: "identifier"
        case .envVar: "environment variable name"
        case .expression: "expression"
        case .template: "text with ${...} interpolation"
        case .duration: "duration (e.g. 15m, 1h30m, 2d)"
        case .semver: "semantic version (e.g. 1.0.0)"
        case .language: "language code (e.g. en, ru)"
        case .oneOf(let values): "one of " + values.joined(separator: ", ")
        }
    }
}

public struct Property: Sendable {
    public var name: String
    public var schema: Schema
    public var required: Bool
    public var summary: String
    /// The default, as YAML text, when omitted.
    public var defaultValue: String?

    public init(_ name: String, _ schema: Schema, required: Bool = false, default defaultValue: String? = nil, _ summary: String) {
        self.name = name
        self.schema = schema
        self.required = required
        self.summary = summary
        self.defaultValue = defaultValue
    }
}

public struct ObjectSchema: Sendable {
    public var title: String
    public var summary: String
    public var properties: [Property] {
        didSet { index = Self.makeIndex(properties) }
    }
    /// Property position by name: `property(_:)` runs for every key of every file.
    private var index: [String: Int]

    private static func makeIndex(_ properties: [Property]) -> [String: Int] {
        var index: [String: Int] = [:]
        for (position, property) in properties.enumerated() where index[property.name] == nil { index[property.name] = position }
        return index
    }
    /// Keys matching this prefix are accepted without checks (e.g. `x-` extension data).
    public var extensionPrefix: String? = "x-"

    public init(_ title: String, summary: String = "", _ properties: [Property]) {
        self.title = title
        self.summary = summary
        self.properties = properties
        self.index = Self.makeIndex(properties)
    }

    public func property(_ name: String) -> Property? { index[name].map { properties[$0] } }
}

extension Schema {
    /// Text per language (`{en: "...", ru: "..."}`) or one plain text for every language.
    public static let localizedText: Schema = .oneOf([
        .string(.template),
        .map(key: .language, value: .string(.template)),
    ])
    /// A list of strings per language, or one list for every language.
    public static let localizedList: Schema = .oneOf([
        .array(.string(.text)),
        .map(key: .language, value: .array(.string(.text))),
    ])
}
