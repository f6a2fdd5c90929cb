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
        checker.checkObject(root, schema)
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
    public static func loadTenant(directory: String, includingFlows: Bool = true) -> TenantProject {
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
        for name in entries where includingFlows && name.hasSuffix(flowSuffix) {
            guard let file = read(name), let root = add(file, schema: FileSchemas.flow, to: &project) else { continue }
            project.flows.append(Flow(file: file.path, root: root))
        }
        return project
    }

    /// As `loadTenant(directory:)`, parsing the flow files concurrently (a tenant may hold
    /// hundreds of flows). The result is identical: flows stay in file-name order.
    /// Read once: on Linux Foundation re-reads cgroup limits on every call.
    static let processors = max(1, ProcessInfo.processInfo.activeProcessorCount)

    public static func loadTenantConcurrently(directory: String) async -> TenantProject {
        let flowNames = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(flowSuffix) }
        guard flowNames.count > 8 else { return loadTenant(directory: directory) }
        let dir = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        // tenant.yaml and manifest.yaml alone, then the flows in parallel chunks.
        var project = loadTenant(directory: directory, includingFlows: false)
        let paths = flowNames.sorted().map { "\(dir)/\($0)" }
        let chunkSize = max(8, paths.count / (processors * 4))
        let chunks = stride(from: 0, to: paths.count, by: chunkSize).map { Array(paths[$0..<min($0 + chunkSize, paths.count)]) }
        let parts = await withTaskGroup(of: (Int, TenantProject).self) { group in
            for (index, chunk) in chunks.enumerated() { group.addTask { (index, loadFlows(paths: chunk)) } }
            var parts: [(Int, TenantProject)] = []
            for await part in group { parts.append(part) }
            return parts.sorted { $0.0 < $1.0 }.map(\.1)
        }
        for part in parts {
            project.flows += part.flows
            project.files.merge(part.files) { first, _ in first }
            project.roots.merge(part.roots) { first, _ in first }
            project.diagnostics += part.diagnostics
            project.unreadable += part.unreadable
        }
        return project
    }

    /// A tenant from in-memory files (tenant.yaml, manifest.yaml, *.flow.yaml by base name),
    /// e.g. a deploy request or a test. Paths in diagnostics are the files' own paths.
    public static func loadTenant(files: [SourceFile], directory: String? = nil) -> TenantProject {
        var project = TenantProject(directory: directory ?? "")
        let sorted = files.sorted { $0.path < $1.path }
        func base(_ file: SourceFile) -> String { (file.path as NSString).lastPathComponent }
        if let file = sorted.first(where: { base($0) == tenantFile }), let root = add(file, schema: FileSchemas.tenant, to: &project) {
            project.tenant = Tenant(file: file.path, root: root)
        }
        if let file = sorted.first(where: { base($0) == manifestFile }), let root = add(file, schema: FileSchemas.manifest, to: &project) {
            project.manifest = Manifest(file: file.path, root: root)
        }
        for file in sorted where base(file).hasSuffix(flowSuffix) {
            if let root = add(file, schema: FileSchemas.flow, to: &project) { project.flows.append(Flow(file: file.path, root: root)) }
        }
        return project
    }

    /// Loose in-memory flow files (tests, editors): only flow-level rules apply.
    public static func loadFlows(files: [SourceFile]) -> TenantProject {
        var project = TenantProject(directory: nil)
        for file in files {
            if let root = add(file, schema: FileSchemas.flow, to: &project) { project.flows.append(Flow(file: file.path, root: root)) }
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
