import ArriwaCore
import ArriwaRuntime
import ArriwaStore
import Foundation
import Testing

/// The deploy step (validation) refuses event names Meta would reject for business messaging.
@Suite struct DeployRefusalTests {
    /// A copy of the shop tenant with `edit` applied to one file, deployed to a fresh store.
    func deploy(editing file: String, _ edit: (String) -> String) async throws -> DeploymentError? {
        let source = try SinksHarness.fixture("tenant-shop")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("arriwa-sinks-\(UUID().uuidString)/shop")
        try FileManager.default.createDirectory(at: directory.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: source, to: directory)
        defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
        let path = directory.appendingPathComponent(file)
        let text = try String(contentsOf: path, encoding: .utf8)
        let edited = edit(text)
        #expect(edited != text, "the edit applies")
        try edited.write(to: path, atomically: true, encoding: .utf8)
        let deployments = Deployments(store: InMemoryStore())
        do {
            try await deployments.deploy(directory: directory.path, now: 0)
            return nil
        } catch let error as DeploymentError {
            return error
        }
    }

    @Test func theShopTenantDeploysAsIs() async throws {
        let error = try await deploy(editing: "tenant.yaml") { $0.replacingOccurrences(of: "tenant: shop", with: "tenant: shop\nname: Shop") }
        #expect(error == nil)
    }

    @Test func anUnmappedFunnelEventSentToCAPIIsRefused() async throws {
        let error = try await deploy(editing: "main.flow.yaml") { $0.replacingOccurrences(of: "event: QUALIFY_COMPLETE", with: "event: QUALIFY_DONE") }
        #expect(error?.code == .invalid)
        #expect(error?.diagnostics.contains { $0.contains("emit.event-not-allowed") && $0.contains("QUALIFY_DONE") } == true)
    }

    @Test func aMappingToANameMetaRejectsIsRefused() async throws {
        let error = try await deploy(editing: "tenant.yaml") { $0.replacingOccurrences(of: "QUALIFY_COMPLETE: QualifiedLead", with: "QUALIFY_COMPLETE: Lead") }
        #expect(error?.code == .invalid)
        #expect(error?.diagnostics.contains { $0.contains("emit.event-not-allowed") && $0.contains("'Lead'") } == true)
    }

    @Test func anUnmappedCRMLevelEventIsRefused() async throws {
        let error = try await deploy(editing: "tenant.yaml") { $0.replacingOccurrences(of: "    CRM_LEVEL_3: InitiateCheckout\n", with: "") }
        #expect(error?.code == .invalid)
        #expect(error?.diagnostics.contains { $0.contains("CRM level 3") && $0.contains("CRM_LEVEL_3") } == true)
    }
}
