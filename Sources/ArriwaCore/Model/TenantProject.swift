import Foundation

/// Everything loaded for one tenant directory (or a set of loose flow files): the typed files,
/// their source text, and what loading found wrong.
public struct TenantProject: Sendable {
    public var directory: String?
    public var tenant: Tenant?
    public var manifest: Manifest?
    public var flows: [Flow]
    public var files: [String: SourceFile]
    /// The parsed root of each file that parsed, by path.
    public var roots: [String: YNode] = [:]
    public var diagnostics: [Diagnostic]
    /// Files that could not be read at all (a usage problem: exit 2).
    public var unreadable: [LoadError] = []

    public init(directory: String?, tenant: Tenant? = nil, manifest: Manifest? = nil, flows: [Flow] = [],
                files: [String: SourceFile] = [:], diagnostics: [Diagnostic] = []) {
        self.directory = directory
        self.tenant = tenant
        self.manifest = manifest
        self.flows = flows
        self.files = files
        self.diagnostics = diagnostics
    }

    public func flow(named name: String) -> Flow? { flows.first { $0.name?.value == name } }
    public func rootNode(of path: String) -> YNode? { roots[path] }
}

/// Loads tenant directories and flow files.
public enum ProjectLoader {
    public static let tenantFile = "tenant.yaml"
    public static let manifestFile = "manifest.yaml"
    public static let flowSuffix = ".flow.yaml"

    /// Parses and schema-checks one file. Returns its root mapping when it has one.
    public static func loadFile(_ source: SourceFile, schema: ObjectSchema) -> (YNode?, [Diagnostic]) {
        let (root, syntax) = YAMLLoader.load(source)
        guard let root else { return (nil, syntax) }
        var checker = SchemaChecker()
        checker.checkObject(root, schema, place: "")
        return (root, syntax + checker.diagnostics)
    }

    static func add(_ source: SourceFile, schema: ObjectSchema, to project: inout TenantProject) -> YMapping? {
        project.files[source.path] = source
        let (root, diagnostics) = loadFile(source, schema: schema)
        project.diagnostics += diagnostics
        project.roots[source.path] = root
        return root?.mapping
    }

    /// A tenant directory: tenant.yaml, manifest.yaml and every *.flow.yaml directly inside it.
    public static func loadTenant(directory: String) -> TenantProject {
        var project = TenantProject(directory: directory)
        let fm = FileManager.default
        let entries = ((try? fm.contentsOfDirectory(atPath: directory)) ?? []).sorted()
        let dir = directory.hasSuffix("/") ? String(directory.dropLast()) : directory

        func read(_ name: String) -> SourceFile? {
            let path = "\(dir)/\(name)"
            do {
                return try SourceFile.read(path: path)
            } catch {
                project.unreadable.append(error)
                return nil
            }
        }

        if entries.contains(tenantFile), let file = read(tenantFile),
           let root = add(file, schema: FileSchemas.tenant, to: &project) {
            project.tenant = Tenant(file: file.path, root: root)
        }
        if entries.contains(manifestFile), let file = read(manifestFile),
           let root = add(file, schema: FileSchemas.manifest, to: &project) {
            project.manifest = Manifest(file: file.path, root: root)
        }
        for name in entries where name.hasSuffix(flowSuffix) {
            guard let file = read(name), let root = add(file, schema: FileSchemas.flow, to: &project) else { continue }
            project.flows.append(Flow(file: file.path, root: root))
        }
        return project
    }

    /// Loose flow files with no tenant around them: only flow-level rules apply.
    public static func loadFlows(paths: [String]) -> TenantProject {
        var project = TenantProject(directory: nil)
        for path in paths {
            do {
                let file = try SourceFile.read(path: path)
                if let root = add(file, schema: FileSchemas.flow, to: &project) {
                    project.flows.append(Flow(file: path, root: root))
                }
            } catch {
                project.unreadable.append(error)
            }
        }
        return project
    }

    public static func isTenantDirectory(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent(tenantFile))
    }
}
