import Foundation

/// Everything loaded for one tenant directory (or a set of loose flow files): the typed files,
/// their source text, and what loading found wrong.
public struct TenantProject: Sendable {
    public var directory: String?
    public var tenant: Tenant?
    public var manifest: Manifest?
    public var flows: [Flow]
    public var files: [String: SourceFile]
    public var diagnostics: [Diagnostic]

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
}

/// Loads tenant directories and flow files.
public enum ProjectLoader {
    public static let tenantFile = "tenant.yaml"
    public static let manifestFile = "manifest.yaml"
    public static let flowSuffix = ".flow.yaml"

    /// Parses and schema-checks one file. Returns its root mapping when it has one.
    public static func loadFile(_ source: SourceFile, schema: ObjectSchema) -> (YMapping?, [Diagnostic]) {
        let (root, syntax) = YAMLLoader.load(source)
        guard let root else { return (nil, syntax) }
        var checker = SchemaChecker()
        checker.checkObject(root, schema, place: "")
        return (root.mapping, syntax + checker.diagnostics)
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
                let file = try SourceFile.read(path: path)
                project.files[path] = file
                return file
            } catch {
                project.diagnostics.append(Diagnostic(rule: "yaml.syntax", message: error.message, at: SourceLocation(file: path, line: 1, column: 1)))
                return nil
            }
        }

        if entries.contains(tenantFile), let file = read(tenantFile) {
            let (root, diagnostics) = loadFile(file, schema: FileSchemas.tenant)
            project.diagnostics += diagnostics
            project.tenant = root.map { Tenant(file: file.path, root: $0) }
        }
        if entries.contains(manifestFile), let file = read(manifestFile) {
            let (root, diagnostics) = loadFile(file, schema: FileSchemas.manifest)
            project.diagnostics += diagnostics
            project.manifest = root.map { Manifest(file: file.path, root: $0) }
        }
        for name in entries where name.hasSuffix(flowSuffix) {
            guard let file = read(name) else { continue }
            let (root, diagnostics) = loadFile(file, schema: FileSchemas.flow)
            project.diagnostics += diagnostics
            if let root { project.flows.append(Flow(file: file.path, root: root)) }
        }
        return project
    }

    /// Loose flow files with no tenant around them: only flow-level rules apply.
    public static func loadFlows(paths: [String]) -> TenantProject {
        var project = TenantProject(directory: nil)
        for path in paths {
            do {
                let file = try SourceFile.read(path: path)
                project.files[path] = file
                let (root, diagnostics) = loadFile(file, schema: FileSchemas.flow)
                project.diagnostics += diagnostics
                if let root { project.flows.append(Flow(file: path, root: root)) }
            } catch {
                project.diagnostics.append(Diagnostic(rule: "yaml.syntax", message: error.message, at: SourceLocation(file: path, line: 1, column: 1)))
            }
        }
        return project
    }

    public static func isTenantDirectory(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent(tenantFile))
    }
}
