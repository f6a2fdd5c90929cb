import Foundation

/// SARIF 2.1.0 (one run, every rule of `Rules.all` in `tool.driver.rules`) for GitHub code scanning
/// and other SARIF consumers. Columns are Unicode code points (`columnKind`), `endColumn` exclusive.
public struct SARIFFormatter: DiagnosticFormatter {
    public static let schema = "https://json.schemastore.org/sarif-2.1.0.json"
    public static let version = "2.1.0"
    public static let defaultInformationURI = "https://github.com/arriwa/arriwa"

    public var informationURI: String

    public init(informationURI: String = SARIFFormatter.defaultInformationURI) {
        self.informationURI = informationURI
    }

    public struct Log: Codable, Sendable, Hashable {
        public var schema: String
        public var version: String
        public var runs: [Run]

        enum CodingKeys: String, CodingKey {
            case schema = "$schema"
            case version, runs
        }
    }

    public struct Run: Codable, Sendable, Hashable {
        public var tool: Tool
        public var columnKind: String
        public var results: [Result]
    }

    public struct Tool: Codable, Sendable, Hashable {
        public var driver: Driver
    }

    public struct Driver: Codable, Sendable, Hashable {
        public var name: String
        public var version: String
        public var informationUri: String
        public var rules: [ReportingDescriptor]
    }

    public struct ReportingDescriptor: Codable, Sendable, Hashable {
        public var id: String
        public var shortDescription: Message
        public var help: Message
        public var defaultConfiguration: Configuration
    }

    public struct Configuration: Codable, Sendable, Hashable {
        public var level: String
    }

    public struct Message: Codable, Sendable, Hashable {
        public var text: String
    }

    public struct Result: Codable, Sendable, Hashable {
        public var ruleId: String
        /// Index into `tool.driver.rules`, when the rule is known.
        public var ruleIndex: Int?
        public var level: String
        public var message: Message
        public var locations: [Location]
    }

    public struct Location: Codable, Sendable, Hashable {
        public var physicalLocation: PhysicalLocation
    }

    public struct PhysicalLocation: Codable, Sendable, Hashable {
        public var artifactLocation: ArtifactLocation
        public var region: Region
    }

    public struct ArtifactLocation: Codable, Sendable, Hashable {
        public var uri: String
    }

    public struct Region: Codable, Sendable, Hashable {
        public var startLine: Int
        public var startColumn: Int
        public var endColumn: Int
    }

    public static func level(_ severity: Severity) -> String {
        switch severity {
        case .error: "error"
        case .warning: "warning"
        case .note: "note"
        }
    }

    /// A relative path stays relative (percent-encoded where a URI needs it); an absolute path
    /// becomes a `file://` URI.
    public static func uri(for path: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: ";")
        let encoded = path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path
        return path.hasPrefix("/") ? "file://" + encoded : encoded
    }

    public func log(_ report: ValidationReport) -> Log {
        let rules = Rules.all.map { rule in
            ReportingDescriptor(
                id: rule.id, shortDescription: Message(text: rule.summary), help: Message(text: rule.help),
                defaultConfiguration: Configuration(level: Self.level(rule.severity)))
        }
        let index = Dictionary(uniqueKeysWithValues: Rules.all.enumerated().map { ($1.id, $0) })
        let results = report.diagnostics.map { d in
            var text = d.message
            if let hint = d.hint, !hint.isEmpty { text += "\nhint: \(hint)" }
            return Result(
                ruleId: d.rule, ruleIndex: index[d.rule], level: Self.level(d.severity), message: Message(text: text),
                locations: [Location(physicalLocation: PhysicalLocation(
                    artifactLocation: ArtifactLocation(uri: Self.uri(for: d.location.file)),
                    region: Region(startLine: d.location.line, startColumn: d.location.column,
                                   endColumn: d.location.column + d.length)))])
        }
        let driver = Driver(name: "arriwa", version: ArriwaCore.version, informationUri: informationURI, rules: rules)
        return Log(schema: Self.schema, version: Self.version,
                   runs: [Run(tool: Tool(driver: driver), columnKind: "unicodeCodePoints", results: results)])
    }

    public func format(_ report: ValidationReport) throws -> String {
        try encodeJSON(log(report))
    }
}
