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
    static func program(files: [String: String], allowErrors: Bool = false) throws -> Program {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("arriwa-engine-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, text) in files {
            try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let project = ProjectLoader.loadTenant(directory: dir.path)
        if !allowErrors {
            let errors = Validator.validate(project).filter { $0.severity == .error }
            #expect(errors.isEmpty, "\(errors)")
        }
        return try Program.compile(project)
    }

    /// The minimal tenant (examples/minimal) with `main.flow.yaml` replaced, and extra tenant.yaml lines.
    static func minimal(flow: String, tenantExtra: String = "", manifest: String? = nil, allowErrors: Bool = false) throws -> Program {
        let dir = root.appendingPathComponent("examples/minimal")
        let tenant = try String(contentsOf: dir.appendingPathComponent("tenant.yaml"), encoding: .utf8) + tenantExtra
        let manifestText = try manifest ?? String(contentsOf: dir.appendingPathComponent("manifest.yaml"), encoding: .utf8)
        return try program(files: ["tenant.yaml": tenant, "manifest.yaml": manifestText, "main.flow.yaml": flow], allowErrors: allowErrors)
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

struct HarnessError: Error, CustomStringConvertible {
    var description: String
}

extension LocalRuntime {
    /// The stored state of the session a turn touched.
    func state(of turn: TurnRecord) async throws -> SessionState {
        guard let id = turn.sessionID, let state = await store.session(id: id) else {
            throw HarnessError(description: "the turn has no stored session")
        }
        return state
    }

    func state(id: String) async throws -> SessionState {
        guard let state = await store.session(id: id) else { throw HarnessError(description: "no session \(id)") }
        return state
    }
}
