import ArriwaCore
import ArriwaRuntime
import ArriwaStore
import Foundation
import Testing

/// Loads tenants and runs conversations against the engine on a virtual clock.
enum Harness {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// 2026-03-02T09:00:00Z, a Monday.
    static let t0: Int64 = 1_772_442_000_000
    static let minute: Int64 = 60_000
    static let hour: Int64 = 3_600_000

    static func program(_ tenant: String = "flows/demo-clinic") throws -> Program {
        let project = ProjectLoader.loadTenant(directory: root.appendingPathComponent(tenant).path)
        let errors = project.diagnostics.filter { $0.severity == .error }
        #expect(errors.isEmpty, "\(errors)")
        return try Program.compile(project)
    }

    /// A tenant written inline: file name → YAML text.
    static func program(files: [String: String]) throws -> Program {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("arriwa-engine-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, text) in files {
            try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let project = ProjectLoader.loadTenant(directory: dir.path)
        let errors = project.diagnostics.filter { $0.severity == .error }
        #expect(errors.isEmpty, "\(errors)")
        return try Program.compile(project)
    }

    static func runtime(_ program: Program, classify: (@Sendable (ClassifyRequest) async -> Classification)? = nil) -> LocalRuntime {
        let counter = Counter()
        return LocalRuntime(program: program, startAt: t0, configuration: .init(
            classify: classify ?? LocalRuntime.rulesOnly,
            newSubscriberID: { "sub-\(counter.next())" }))
    }
}

/// Deterministic ids for tests.
final class Counter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}

extension LocalRuntime.TurnRecord {
    var texts: [String] { sends.map(\.content.body) }
    var events: [String] { emissions.map(\.event) }
    var audits: [AuditRecord] { effects.compactMap { if case .audit(let a) = $0 { a } else { nil } } }
    var failures: [EngineFailure] { effects.compactMap { if case .error(let f) = $0 { f } else { nil } } }
}
