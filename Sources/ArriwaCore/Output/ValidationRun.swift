import Foundation

/// One unit of validation: a tenant directory, or loose files of one directory that has no tenant.yaml.
public struct ValidationTarget: Sendable, Hashable, Comparable {
    public enum Kind: Sendable, Hashable {
        /// A directory with tenant.yaml: loaded with `ProjectLoader.loadTenant(directory:)`.
        case tenant
        /// Loose YAML files of one directory (paths as given): flow files, and a manifest.yaml when
        /// it was named explicitly.
        case looseFiles([String])
    }

    /// The directory (as the user wrote it, without a trailing slash).
    public var path: String
    public var kind: Kind

    public init(path: String, kind: Kind) {
        self.path = path
        self.kind = kind
    }

    public static func < (lhs: ValidationTarget, rhs: ValidationTarget) -> Bool {
        if lhs.path != rhs.path { return lhs.path < rhs.path }
        // A tenant and loose files cannot share a directory; order is only for determinism.
        return lhs.kind == .tenant && rhs.kind != .tenant
    }
}

/// A path argument that cannot be validated at all: missing, unreadable, not YAML, or holding no
/// tenant or flow file. `arriwa validate` exits with status 2 on it.
public struct InputError: Error, Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}

/// Collects the tenants and flow files named by path arguments, loads and validates them
/// concurrently, and applies suppression comments.
///
/// Each argument is
/// - a tenant directory (it contains tenant.yaml);
/// - a directory holding tenant directories, searched recursively (hidden directories such as
///   `.git` and `.build*` are skipped; `*.flow.yaml` files found outside tenants are validated
///   as loose flows, grouped per directory);
/// - a single `*.yaml` / `*.yml` file: a file inside a tenant directory validates that whole tenant;
///   any other file is validated on its own as a loose flow (`manifest.yaml` as a manifest).
///
/// Tenants named more than once are validated once.
public enum ValidationRun {
    /// Loose files of one directory are loaded in chunks of this size, concurrently.
    static let looseChunkSize = 32
    /// How deep directories are searched for tenants.
    static let maxDepth = 32

    /// Validates the paths and returns the report, or throws on the first unusable argument.
    public static func run(paths: [String]) async throws(InputError) -> ValidationReport {
        let targets = try collectTargets(paths)
        return await run(targets: targets)
    }

    /// Validates already collected targets concurrently. Diagnostics are sorted by file and position.
    public static func run(targets: [ValidationTarget]) async -> ValidationReport {
        let results = await withTaskGroup(of: (Int, TargetResult).self) { group in
            for (index, target) in targets.enumerated() {
                group.addTask { (index, await validate(target)) }
            }
            var results = [TargetResult?](repeating: nil, count: targets.count)
            for await (index, result) in group {
                results[index] = result
            }
            return results.compactMap { $0 }
        }
        var diagnostics: [Diagnostic] = []
        var files: [String: SourceFile] = [:]
        var unreadable: [LoadError] = []
        for result in results {
            diagnostics += result.diagnostics
            files.merge(result.files) { first, _ in first }
            unreadable += result.unreadable
        }
        diagnostics.sort(by: Diagnostic.ordered)
        unreadable.sort { $0.path < $1.path }
        let tenants = targets.filter { $0.kind == .tenant }.count
        return ValidationReport(diagnostics: diagnostics, files: files, tenants: tenants, unreadable: unreadable)
    }

    /// What validating one target produced.
    public struct TargetResult: Sendable {
        /// Findings after suppressions, sorted.
        public var diagnostics: [Diagnostic]
        /// The files read.
        public var files: [String: SourceFile]
        /// Files that could not be read (exit status 2).
        public var unreadable: [LoadError]
    }

    /// Loads and validates one target and applies its suppression comments.
    public static func validate(_ target: ValidationTarget) async -> TargetResult {
        let project: TenantProject
        switch target.kind {
        case .tenant:
            project = await ProjectLoader.loadTenantConcurrently(directory: target.path)
        case .looseFiles(let paths):
            project = await loadLoose(paths)
        }
        let diagnostics = Suppressions.apply(Validator.validate(project), files: project.files)
        return TargetResult(diagnostics: diagnostics, files: project.files, unreadable: project.unreadable)
    }

    /// Loose files of one directory: flows loaded in concurrent chunks, then merged into one project.
    static func loadLoose(_ paths: [String]) async -> TenantProject {
        let manifests = paths.filter { ($0 as NSString).lastPathComponent == ProjectLoader.manifestFile }
        let flows = paths.filter { ($0 as NSString).lastPathComponent != ProjectLoader.manifestFile }
        let chunks = stride(from: 0, to: flows.count, by: looseChunkSize).map {
            Array(flows[$0..<min($0 + looseChunkSize, flows.count)])
        }
        let loaded = await withTaskGroup(of: (Int, TenantProject).self) { group in
            for (index, chunk) in chunks.enumerated() {
                group.addTask { (index, ProjectLoader.loadFlows(paths: chunk)) }
            }
            var parts = [TenantProject?](repeating: nil, count: chunks.count)
            for await (index, part) in group { parts[index] = part }
            return parts.compactMap { $0 }
        }
        var project = TenantProject(directory: nil)
        for part in loaded {
            project.flows += part.flows
            project.files.merge(part.files) { first, _ in first }
            project.roots.merge(part.roots) { first, _ in first }
            project.diagnostics += part.diagnostics
            project.unreadable += part.unreadable
        }
        for path in manifests {
            do {
                let file = try SourceFile.read(path: path)
                if let root = ProjectLoader.add(file, schema: FileSchemas.manifest, to: &project) {
                    project.manifest = Manifest(file: path, root: root)
                }
            } catch {
                project.unreadable.append(error)
            }
        }
        return project
    }

    // MARK: - Collecting paths

    /// The targets named by the arguments, deduplicated and sorted by path.
    public static func collectTargets(_ arguments: [String]) throws(InputError) -> [ValidationTarget] {
        var collector = Collector()
        for argument in arguments {
            try collector.add(argument)
        }
        return collector.targets()
    }

    private struct Collector {
        let fm = FileManager.default
        /// Canonical directory → display path, for tenants.
        var tenants: [String: String] = [:]
        /// Canonical directory → (display directory, canonical file → display file).
        var loose: [String: (display: String, files: [String: String])] = [:]
        var visited: Set<String> = []

        func targets() -> [ValidationTarget] {
            var out = tenants.values.map { ValidationTarget(path: $0, kind: .tenant) }
            for (_, group) in loose {
                let files = group.files.values.sorted()
                out.append(ValidationTarget(path: group.display, kind: .looseFiles(files)))
            }
            return out.sorted()
        }

        mutating func add(_ argument: String) throws(InputError) {
            let path = Self.trimmingTrailingSlashes(argument)
            var isDirectory: ObjCBool = false
            guard !path.isEmpty, fm.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw InputError(path: argument, message: "no such file or directory")
            }
            if isDirectory.boolValue {
                let before = tenants.count + loose.count
                try addDirectory(path, depth: 0)
                if tenants.count + loose.count == before && !visitedOnlyKnown(path) {
                    throw InputError(path: argument, message: "no tenant directory (tenant.yaml) or *\(ProjectLoader.flowSuffix) file found here")
                }
                return
            }
            guard path.hasSuffix(".yaml") || path.hasSuffix(".yml") else {
                throw InputError(path: argument, message: "not a YAML file (expected a tenant directory, a directory of tenants or a *.yaml file)")
            }
            guard fm.isReadableFile(atPath: path) else {
                throw InputError(path: argument, message: "cannot read file")
            }
            let parent = Self.parent(of: path)
            if ProjectLoader.isTenantDirectory(parent) {
                try addTenant(parent)
            } else {
                addLoose(path, in: parent)
            }
        }

        /// Whether a directory found nothing new only because everything in it was already collected.
        private func visitedOnlyKnown(_ path: String) -> Bool {
            let key = Self.canonical(path)
            return tenants.keys.contains { $0 == key || $0.hasPrefix(key + "/") }
                || loose.keys.contains { $0 == key || $0.hasPrefix(key + "/") }
        }

        private mutating func addDirectory(_ path: String, depth: Int) throws(InputError) {
            if ProjectLoader.isTenantDirectory(path) {
                try addTenant(path)
                return
            }
            guard depth <= ValidationRun.maxDepth else { return }
            let key = Self.canonical(path)
            guard visited.insert(key).inserted else { return } // symlink cycles
            let entries: [String]
            do {
                entries = try fm.contentsOfDirectory(atPath: path).sorted()
            } catch {
                throw InputError(path: path, message: "cannot read directory")
            }
            for name in entries where !name.hasPrefix(".") {
                let child = Self.join(path, name)
                var isDirectory: ObjCBool = false
                guard fm.fileExists(atPath: child, isDirectory: &isDirectory) else { continue }
                if isDirectory.boolValue {
                    try addDirectory(child, depth: depth + 1)
                } else if name.hasSuffix(ProjectLoader.flowSuffix) {
                    guard fm.isReadableFile(atPath: child) else {
                        throw InputError(path: child, message: "cannot read file")
                    }
                    addLoose(child, in: path)
                }
            }
        }

        private mutating func addTenant(_ directory: String) throws(InputError) {
            let key = Self.canonical(directory)
            guard tenants[key] == nil else { return }
            let entries: [String]
            do {
                entries = try fm.contentsOfDirectory(atPath: directory)
            } catch {
                throw InputError(path: directory, message: "cannot read directory")
            }
            for name in entries where name == ProjectLoader.tenantFile || name == ProjectLoader.manifestFile
                || name.hasSuffix(ProjectLoader.flowSuffix) {
                let file = Self.join(directory, name)
                guard fm.isReadableFile(atPath: file) else {
                    throw InputError(path: file, message: "cannot read file")
                }
            }
            tenants[key] = directory
            // Loose files collected earlier from the same directory are part of the tenant now.
            loose[key] = nil
        }

        private mutating func addLoose(_ file: String, in directory: String) {
            let key = Self.canonical(directory)
            guard tenants[key] == nil else { return }
            loose[key, default: (directory, [:])].files[Self.canonical(file)] = file
        }

        static func trimmingTrailingSlashes(_ path: String) -> String {
            var path = path
            while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
            return path
        }

        static func parent(of path: String) -> String {
            let parent = (path as NSString).deletingLastPathComponent
            return parent.isEmpty ? "." : parent
        }

        static func join(_ directory: String, _ name: String) -> String {
            if directory == "." { return name }
            return directory.hasSuffix("/") ? directory + name : directory + "/" + name
        }

        static func canonical(_ path: String) -> String {
            URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        }
    }
}
