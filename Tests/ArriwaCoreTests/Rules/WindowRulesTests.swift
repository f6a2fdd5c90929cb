import Testing
@testable import ArriwaCore

/// wa.template-required across calls: time spent in a sub-flow counts after the call, per
/// outcome, and a sub-flow called late starts late.
@Suite struct WindowRulesTests {
    func run(main: String, sub: String) -> [String] {
        let project = ProjectLoader.loadTenant(files: [
            SourceFile(path: "t/main.flow.yaml", text: main),
            SourceFile(path: "t/sub.flow.yaml", text: sub),
        ], directory: "t")
        return Validator.validate(project).map { "\($0.rule) \($0.location.file):\($0.location.line):\($0.location.column)" }
    }

    static let subWaitingLong = """
        flow: sub
        version: 1.0.0
        start: b
        nodes:
          - { id: b, type: start, next: w }
          - id: w
            type: wait
            timeout: 25h
            on: { message: ok, timeout: late }
          - { id: ok, type: end, outcome: answered }
          - { id: late, type: end, outcome: silent }

        """

    static func main(afterSilent: String) -> String {
        """
        flow: main
        version: 1.0.0
        start: b
        nodes:
          - { id: b, type: start, next: c }
          - id: c
            type: call
            flow: sub
            on: { answered: thanks, silent: chase }
          - { id: thanks, type: wa.send, text: Thanks, next: e }
          - id: chase
            type: wa.send
            text: Still there?
        \(afterSilent)    next: e
          - { id: e, type: end }

        """
    }

    @Test("a send after the outcome of a 25 h sub-flow wait needs a template; the answered outcome does not")
    func timeInSubFlowCounts() {
        #expect(run(main: Self.main(afterSilent: ""), sub: Self.subWaitingLong) == ["wa.template-required t/main.flow.yaml:11:9"])
        #expect(run(main: Self.main(afterSilent: "    template: { name: chase, language: en }\n"), sub: Self.subWaitingLong).isEmpty)
    }

    @Test("a sub-flow called after a 24 h wait starts late: its send needs a template")
    func subFlowCalledLate() {
        let main = """
            flow: main
            version: 1.0.0
            start: b
            nodes:
              - { id: b, type: start, next: w }
              - id: w
                type: wait
                timeout: 24h
                on: { message: e, timeout: c }
              - { id: c, type: call, flow: sub, default: e }
              - { id: e, type: end }

            """
        let sub = """
            flow: sub
            version: 1.0.0
            start: b
            nodes:
              - { id: b, type: start, next: s }
              - { id: s, type: wa.send, text: Hello again, next: e }
              - { id: e, type: end }

            """
        #expect(run(main: main, sub: sub) == ["wa.template-required t/sub.flow.yaml:6:11"])
        let early = main.replacingOccurrences(of: "timeout: 24h", with: "timeout: 23h")
        #expect(run(main: early, sub: sub).isEmpty)
    }
}
