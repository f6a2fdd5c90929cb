import ArgumentParser
import ArriwaCore
import Foundation

/// Loads a tenant directory for running (chat, test): validated first, refused on errors.
enum TenantLoading {
    struct Loaded {
        var program: Program
        var project: TenantProject
    }

    /// Validates and compiles the tenant at `directory`. On errors prints them (compiler style)
    /// to stderr and throws exit code 2.
    static func load(_ directory: String) async throws -> Loaded {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue,
              FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent("tenant.yaml")) else {
            FileHandle.standardError.write(Data("\(directory): not a tenant directory (no tenant.yaml)\n".utf8))
            throw ExitCode(2)
        }
        let report: ValidationReport
        do {
            report = try await ValidationRun.run(paths: [directory])
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(2)
        }
        let errors = report.diagnostics.filter { $0.severity == .error }
        if !errors.isEmpty || !report.unreadable.isEmpty {
            let formatter = HumanFormatter()
            var text = ""
            for diagnostic in errors { text += formatter.format(diagnostic, file: report.files[diagnostic.location.file]) + "\n" }
            for problem in report.unreadable { text += "\(problem)\n" }
            text += "\(directory): \(errors.count) error(s); fix them (arriwa validate \(directory)) before running the funnel\n"
            FileHandle.standardError.write(Data(text.utf8))
            throw ExitCode(2)
        }
        let project = ProjectLoader.loadTenant(directory: directory)
        do {
            return Loaded(program: try Program.compile(project), project: project)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}
