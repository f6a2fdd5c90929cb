import Foundation

/// One file `arriwa schema` generates, by its path relative to the output directory.
public struct GeneratedFile: Sendable, Hashable {
    public var path: String
    public var contents: String

    public init(path: String, contents: String) {
        self.path = path
        self.contents = contents
    }
}

/// How a file on disk compares with what would be generated.
public struct CatalogDifference: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// Not on disk.
        case missing
        /// On disk with other contents.
        case outdated
        /// On disk, but no longer generated (e.g. a node type was removed or renamed).
        case stale
    }
    public var path: String
    public var kind: Kind

    public init(path: String, kind: Kind) {
        self.path = path
        self.kind = kind
    }

    public var description: String { "\(path) (\(kind.rawValue))" }
}

/// Everything generated into `nodes/`: the three JSON Schemas, the reference pages and the
/// validator rule reference (`rules.md`).
public enum CatalogFiles {
    public static let schemaDirectory = "schema"
    public static let tenantSchema = "tenant.schema.json"
    public static let manifestSchema = "manifest.schema.json"
    public static let flowSchema = "flow.schema.json"

    /// Every generated file, schemas first, in a stable order.
    public static func all() -> [GeneratedFile] {
        var files = [
            GeneratedFile(path: "\(schemaDirectory)/\(tenantSchema)", contents: JSONSchemaGenerator.tenant().rendered() + "\n"),
            GeneratedFile(path: "\(schemaDirectory)/\(manifestSchema)", contents: JSONSchemaGenerator.manifest().rendered() + "\n"),
            GeneratedFile(path: "\(schemaDirectory)/\(flowSchema)", contents: JSONSchemaGenerator.flow().rendered() + "\n"),
            GeneratedFile(path: "README.md", contents: NodeReferenceGenerator.index()),
            GeneratedFile(path: "tenant.md", contents: NodeReferenceGenerator.tenantPage()),
            GeneratedFile(path: "manifest.md", contents: NodeReferenceGenerator.manifestPage()),
            GeneratedFile(path: "flow.md", contents: NodeReferenceGenerator.flowPage()),
            GeneratedFile(path: RulesReferenceGenerator.fileName, contents: RulesReferenceGenerator.page()),
        ]
        for spec in NodeCatalog.all {
            files.append(GeneratedFile(path: NodeReferenceGenerator.fileName(forNodeType: spec.name), contents: NodeReferenceGenerator.nodePage(spec)))
        }
        return files
    }

    /// Compares `directory` with the generated files (reads only). Also reports files with the
    /// generated kinds of name (`*.md`, `schema/*.schema.json`) that are no longer generated.
    public static func differences(in directory: String, files: [GeneratedFile] = all()) -> [CatalogDifference] {
        let fm = FileManager.default
        var result: [CatalogDifference] = []
        for file in files {
            let path = (directory as NSString).appendingPathComponent(file.path)
            guard let data = fm.contents(atPath: path) else {
                result.append(CatalogDifference(path: file.path, kind: .missing))
                continue
            }
            if String(data: data, encoding: .utf8) != file.contents {
                result.append(CatalogDifference(path: file.path, kind: .outdated))
            }
        }
        let generated = Set(files.map(\.path))
        for path in candidates(in: directory) where !generated.contains(path) {
            result.append(CatalogDifference(path: path, kind: .stale))
        }
        return result
    }

    /// Files in `directory` that look generated: `*.md` at the top and `schema/*.schema.json`.
    static func candidates(in directory: String) -> [String] {
        let fm = FileManager.default
        let top = ((try? fm.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".md") }
        let schemaPath = (directory as NSString).appendingPathComponent(schemaDirectory)
        let schemas = ((try? fm.contentsOfDirectory(atPath: schemaPath)) ?? [])
            .filter { $0.hasSuffix(".schema.json") }
            .map { "\(schemaDirectory)/\($0)" }
        return (top + schemas).sorted()
    }
}
