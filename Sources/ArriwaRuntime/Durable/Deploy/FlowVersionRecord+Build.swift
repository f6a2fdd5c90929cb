public import ArriwaCore
public import ArriwaStore
import Foundation

extension FlowVersionRecord {
    /// A deployable version of the tenant at `directory`: validated first (refused with the
    /// diagnostics on any error), then compiled from the same in-memory files that are stored, so
    /// the stored version is exactly `Program.version` of what later compiles from the record.
    public static func build(directory: String, now: Int64) async throws -> (record: FlowVersionRecord, program: Program) {
        var isDirectory: ObjCBool = false
        let label = (directory as NSString).lastPathComponent
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue,
              FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent(ProjectLoader.tenantFile)) else {
            throw DeploymentError(.unreadable, tenant: label, "\(directory) is not a tenant directory (no tenant.yaml)")
        }
        let report: ValidationReport
        do {
            report = try await ValidationRun.run(paths: [directory])
        } catch {
            throw DeploymentError(.unreadable, tenant: label, "\(error)")
        }
        let errors = report.diagnostics.filter { $0.severity == .error }
        if !errors.isEmpty || !report.unreadable.isEmpty {
            let formatter = HumanFormatter()
            let lines = errors.map { formatter.format($0, file: report.files[$0.location.file]) } + report.unreadable.map { "\($0)" }
            throw DeploymentError(.invalid, tenant: label, "\(errors.count) validation error(s); fix them (arriwa validate \(directory))",
                                  diagnostics: lines)
        }
        let loaded = ProjectLoader.loadTenant(directory: directory)
        var files: [String: String] = [:]
        for (path, file) in loaded.files {
            files[(path as NSString).lastPathComponent] = file.text
        }
        let program = try compile(files: files, tenant: label)
        let record = FlowVersionRecord(tenant: program.tenant.id, version: program.version, files: files, createdAt: now)
        return (record, program)
    }

    /// Compiles this stored version. Throws if the files no longer hash to `version`.
    public func compile() throws -> Program {
        let program = try Self.compile(files: files, tenant: tenant)
        guard program.version == version else {
            throw DeploymentError(.versionMismatch, tenant: tenant, "stored version \(version) compiles to \(program.version)")
        }
        return program
    }

    static func compile(files: [String: String], tenant: String) throws -> Program {
        let sources = files.keys.sorted().map { SourceFile(path: $0, text: files[$0] ?? "") }
        let project = ProjectLoader.loadTenant(files: sources)
        do {
            return try Program.compile(project)
        } catch {
            throw DeploymentError(.compile, tenant: tenant, "\(error)")
        }
    }
}
