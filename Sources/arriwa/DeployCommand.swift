import ArgumentParser
import ArriwaRuntime
import ArriwaStore
import Foundation
import Logging

struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Validate a tenant's flows and store them as a new version that new sessions start on.",
        discussion: """
            A version is the SHA-256 of the tenant's files: deploying unchanged files changes \
            nothing (but makes that version active again, which is how you roll back). Running \
            sessions stay on the version they started on. A tenant with validation errors is \
            refused and nothing is stored. Running servers pick the new version up for the next \
            new session.

            EXIT STATUS
              0  deployed (or already deployed)
              1  refused: the tenant has validation errors (printed as by arriwa validate)
              2  usage error, unreadable files, or the database cannot be reached

            EXAMPLES
              arriwa deploy flows/demo-clinic
              ARRIWA_DATABASE_URL=postgres://arriwa@db/arriwa arriwa deploy flows/acme
              arriwa deploy flows/acme --list          # versions stored for the tenant
            """
    )

    @Argument(help: ArgumentHelp("Tenant directories (each with tenant.yaml).", valueName: "tenant-dir"))
    var directories: [String]

    @OptionGroup var store: StoreOptions

    @Flag(help: "Also list the tenant's stored versions after deploying.")
    var list = false

    func run() async throws {
        let logger = Logger(label: "arriwa.deploy")
        let opened = try await store.open(logger: logger)
        var status: Int32 = 0
        do {
            try await opened.migrate()
            for directory in directories {
                do {
                    let (record, _) = try await FlowVersionRecord.build(directory: directory, now: Int64(Date().timeIntervalSince1970 * 1000))
                    let known = try await opened.saveFlowVersion(record) == false
                    print("\(directory): tenant \(record.tenant) version \(record.version.prefix(12)) \(known ? "already stored, now active" : "deployed") (\(record.files.count) files)")
                    if list {
                        for version in try await opened.flowVersions(tenant: record.tenant) {
                            let marker = version.version == record.version ? "*" : " "
                            print("  \(marker) \(version.version.prefix(12))  \(OutboxCommand.time(version.createdAt))  \(version.files.count) files")
                        }
                    }
                } catch let error as DeploymentError {
                    for line in error.diagnostics { FileHandle.standardError.write(Data((line + "\n").utf8)) }
                    FileHandle.standardError.write(Data("\(directory): not deployed: \(error.message)\n".utf8))
                    status = max(status, error.code == .invalid ? 1 : 2)
                }
            }
        } catch {
            try? await opened.shutdown()
            FileHandle.standardError.write(Data("arriwa deploy: \(error)\n".utf8))
            throw ExitCode(2)
        }
        try? await opened.shutdown()
        if status != 0 { throw ExitCode(status) }
    }
}
