import Foundation
import Testing
@testable import ArriwaCore

/// Bugs found while writing examples/broken, kept fixed.
@Suite struct RulesRegressionTests {
    func diagnostics(_ text: String) -> [String] {
        let project = ProjectLoader.loadFlows(files: [SourceFile(path: "x.flow.yaml", text: text)])
        return Validator.validate(project).map { "\($0.rule) \($0.location.line):\($0.location.column)" }
    }

    @Test("a duplicate key in a flow mapping is reported at the second occurrence")
    func duplicateKeyInFlowMapping() {
        let text = "flow: main\nversion: 1.0.0\nstart: begin\nvars:\n  retries: { type: int, default: 0, type: string }\nnodes:\n  - { id: begin, type: start, next: done }\n  - { id: done, type: end }\n"
        #expect(diagnostics(text) == ["yaml.duplicate-key 5:37"])
    }

    @Test("a key the node type does not accept is an unknown key, not an edge")
    func strayNextIsNotAnEdge() {
        let text = "flow: main\nversion: 1.0.0\nstart: begin\nnodes:\n  - id: begin\n    type: start\n    next: done\n  - id: done\n    type: end\n    next: begin\n"
        #expect(diagnostics(text) == ["schema.unknown-key 10:5"])
    }

    @Test("a flow without start nodes gets one graph.start-count, not two")
    func startCountOnce() {
        let text = "flow: main\nversion: 1.0.0\nstart: begin\nnodes:\n  - id: begin\n    type: end\n"
        #expect(diagnostics(text) == ["graph.start-count 3:8"])
    }
}

@Suite struct TenantLevelRuleTests {
    func tenant(_ edit: (inout [String: String]) -> Void) throws -> [String] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("examples/minimal")
        var files: [String: String] = [:]
        for name in ["tenant.yaml", "manifest.yaml", "main.flow.yaml"] {
            files[name] = try String(contentsOf: root.appendingPathComponent(name), encoding: .utf8)
        }
        edit(&files)
        let project = ProjectLoader.loadTenant(files: files.map { SourceFile(path: "t/\($0.key)", text: $0.value) })
        return Validator.validate(project).map { "\($0.rule) \(($0.location.file as NSString).lastPathComponent):\($0.location.line):\($0.location.column)" }
    }

    @Test("the entry flow must exist: renaming main without entry_flow is an error at the tenant, setting it fixes it")
    func entryFlow() throws {
        let renamed = try tenant { $0["main.flow.yaml"] = $0["main.flow.yaml"]?.replacingOccurrences(of: "flow: main", with: "flow: funnel") }
        #expect(renamed == ["graph.call-unknown-flow tenant.yaml:1:1"])
        let declared = try tenant {
            $0["main.flow.yaml"] = $0["main.flow.yaml"]?.replacingOccurrences(of: "flow: main", with: "flow: funnel")
            $0["tenant.yaml"] = $0["tenant.yaml"]?.replacingOccurrences(of: "tenant: minimal\n", with: "tenant: minimal\nentry_flow: funnel\n")
        }
        #expect(declared.isEmpty)
    }

    @Test("a declared CRM stage passes; an undeclared one is emit.unknown-crm-stage")
    func crmStage() throws {
        func run(_ stage: String) throws -> [String] {
            try tenant {
                $0["tenant.yaml"] = $0["tenant.yaml"]?.replacingOccurrences(of: "  kind: kommo\n", with: "  kind: kommo\n  stages: { Qualified: \"1\" }\n")
                $0["main.flow.yaml"] = $0["main.flow.yaml"]?.replacingOccurrences(of: "    next: bye\n  - id: retry", with: "    crm: { stage: \(stage) }\n    next: bye\n  - id: retry")
            }
        }
        #expect(try run("Qualified").isEmpty)
        #expect(try run("Qualifed") == ["emit.unknown-crm-stage main.flow.yaml:32:19"])
    }

    @Test("an unquoted step id in a set value is undeclared, with a hint to quote it")
    func quoteHint() throws {
        let project = ProjectLoader.loadTenant(files: [
            SourceFile(path: "t/manifest.yaml", text: "steps:\n  - id: Q1\n    kind: text\n    question: Where?\n    examples: [Moscow]\n"),
            SourceFile(path: "t/main.flow.yaml", text: "flow: main\nversion: 1.0.0\nstart: b\nvars:\n  step: { type: step, default: Q1 }\nnodes:\n  - id: b\n    type: start\n    next: s\n  - id: s\n    type: set\n    vars: { step: Q1 }\n    next: e\n  - id: e\n    type: end\n"),
        ])
        let found = Validator.validate(project).filter { $0.rule == "expr.undeclared" }
        #expect(found.count == 1)
        #expect(found.first?.hint?.contains("quote it") == true)
    }

    @Test("a tenant that raises nudges with a reason allows that many on a wait; without a reason 3 is too many")
    func nudgeOverride() throws {
        let threeNudges = "    timeout: 30m\n    nudges:\n      - { after: 5m, text: a }\n      - { after: 10m, text: b }\n      - { after: 20m, text: c }\n"
        let without = try tenant { $0["main.flow.yaml"] = $0["main.flow.yaml"]?.replacingOccurrences(of: "    timeout: 30m\n", with: threeNudges) }
        #expect(without == ["manifest.nudge-limit main.flow.yaml:17:5"])
        let with = try tenant {
            $0["main.flow.yaml"] = $0["main.flow.yaml"]?.replacingOccurrences(of: "    timeout: 30m\n", with: threeNudges)
            $0["tenant.yaml"] = $0["tenant.yaml"]?.replacingOccurrences(of: "limits: { reprompts: 3, nudges: 2 }", with: "limits: { reprompts: 3, nudges: 3, reason: \"Clinic asked for a third reminder\" }")
        }
        #expect(with.isEmpty)
    }
}
