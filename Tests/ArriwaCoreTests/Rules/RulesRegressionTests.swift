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
