import Foundation
import Testing
@testable import ArriwaCore

/// Focused negative tests, with the positive case next to each: examples/minimal/ copied to a
/// temporary directory, changed a little, and validated. Each test names the behaviour it pins
/// down: where a rule stops firing (3 buttons vs 4, 20 characters vs 21, a wait in the cycle, ...).
@Suite struct RulesBoundaryTests {
    struct Edit {
        var file: String
        var old: String
        var new: String
    }

    static func flow(_ old: String, _ new: String) -> Edit { Edit(file: "main.flow.yaml", old: old, new: new) }
    static func manifest(_ old: String, _ new: String) -> Edit { Edit(file: "manifest.yaml", old: old, new: new) }
    static func tenant(_ old: String, _ new: String) -> Edit { Edit(file: "tenant.yaml", old: old, new: new) }

    static let minimal = RulesBrokenExamplesTests.packageRoot.appendingPathComponent("examples/minimal")

    /// Copies examples/minimal/ to a temporary directory, applies the edits (each `old` text must
    /// occur exactly once), adds files, and returns the findings as `<rule> <file>:<line>:<column>`.
    static func validate(_ edits: [Edit], adding extra: [String: String] = [:]) throws -> [String] {
        let fm = FileManager.default
        let directory = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("arriwa-rules-\(UUID().uuidString)")
        try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: directory) }
        var files: [String: String] = [:]
        for name in try fm.contentsOfDirectory(atPath: minimal.path) where name.hasSuffix(".yaml") {
            files[name] = try String(contentsOf: minimal.appendingPathComponent(name), encoding: .utf8)
        }
        for edit in edits {
            let text = try #require(files[edit.file], "no \(edit.file) in examples/minimal")
            let count = text.components(separatedBy: edit.old).count - 1
            try #require(count == 1, "'\(edit.old)' occurs \(count) times in \(edit.file)")
            files[edit.file] = text.replacingOccurrences(of: edit.old, with: edit.new)
        }
        for (name, text) in extra { files[name] = text }
        for (name, text) in files {
            try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return RulesBrokenExamplesTests.findings(in: directory.path)
    }

    static func validate(_ edits: Edit...) throws -> [String] { try validate(edits) }

    /// Compares findings, showing both lists on failure.
    static func expectFindings(_ actual: [String], _ expected: [String], sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        #expect(actual == expected, "expected \(expected)\nactual   \(actual)", sourceLocation: sourceLocation)
    }

    static func rules(_ findings: [String]) -> [String] { findings.map { String($0.split(separator: " ")[0]) } }

    // MARK: Graph

    @Test func conditionWithElseHasNoConditionNoElse() throws {
        try Self.expectFindings(Self.validate(), [])
        try Self.expectFindings(Self.validate(Self.flow("    else: ask\n", "")), ["graph.condition-no-else main.flow.yaml:38:9"])
    }

    /// check → nag → check, with or without a wait / a counter in between.
    static func cycle(through middle: String) -> Edit {
        flow("    else: ask\n", "    else: nag\n  - id: nag\n    type: wa.send\n    text: Please answer above.\n    next: \(middle)\n" + """
              - id: pause
                type: wait
                on: { message: check }
              - id: bump
                type: set
                vars: { retries: vars.retries + 1 }
                next: check
              - id: reset
                type: set
                vars: { retries: 0 }
                next: check

            """)
    }

    @Test func cycleThroughAWaitIsNotUnbounded() throws {
        let findings = try Self.validate(Self.cycle(through: "pause"))
        #expect(!Self.rules(findings).contains("graph.unbounded-cycle"))
        #expect(findings == ["graph.unreachable main.flow.yaml:51:9", "graph.unreachable main.flow.yaml:55:9"])
    }

    @Test func cycleWithACounterComparedInTheConditionIsNotUnbounded() throws {
        let findings = try Self.validate(Self.cycle(through: "bump"))
        #expect(!Self.rules(findings).contains("graph.unbounded-cycle"))
        #expect(findings == ["graph.unreachable main.flow.yaml:48:9", "graph.unreachable main.flow.yaml:55:9"])
    }

    @Test func cycleWithoutWaitOrCounterIsUnbounded() throws {
        // A set that does not count (retries: 0) bounds nothing; neither does no node at all.
        for middle in ["check", "reset"] {
            let findings = try Self.validate(Self.cycle(through: middle))
            #expect(findings.filter { $0.hasPrefix("graph.unbounded-cycle") } == ["graph.unbounded-cycle main.flow.yaml:38:9"], "through \(middle)")
        }
    }

    static let subFlow = """
        flow: sub
        version: 1.0.0
        start: begin
        nodes:
          - id: begin
            type: start
            next: wait
          - id: wait
            type: wait
            timeout: 1h
            on: { message: qualified, timeout: rejected }
          - id: qualified
            type: end
            outcome: qualified
          - id: rejected
            type: end
            outcome: rejected

        """

    static func call(_ mapping: String) -> Edit {
        flow("    next: bye\n  - id: retry", "    next: to_sub\n  - id: to_sub\n    type: call\n    flow: sub\n\(mapping)  - id: retry")
    }

    @Test func callMappingEveryOutcomeOrHavingADefaultIsFine() throws {
        try Self.expectFindings(Self.validate([Self.call("    on: { qualified: bye, rejected: bye }\n")], adding: ["sub.flow.yaml": Self.subFlow]), [])
        try Self.expectFindings(Self.validate([Self.call("    on: { qualified: bye }\n    default: bye\n")], adding: ["sub.flow.yaml": Self.subFlow]), [])
        try Self.expectFindings(Self.validate([Self.call("    on: { qualified: bye }\n")], adding: ["sub.flow.yaml": Self.subFlow]), ["graph.call-outcome-unmapped main.flow.yaml:33:9"])
    }

    // MARK: Expressions

    @Test func variableWithoutDefaultSetBeforeReadIsFine() throws {
        let noDefault = Self.flow("  retries: { type: int, default: 0 }", "  retries: { type: int }")
        let initialise = Self.flow("    type: start\n    next: ask\n", "    type: start\n    next: init\n  - id: init\n    type: set\n    vars: { retries: 0 }\n    next: ask\n")
        try Self.expectFindings(Self.validate(noDefault, initialise), [])
        try Self.expectFindings(Self.validate(noDefault), ["expr.read-before-write main.flow.yaml:36:16"])
    }

    @Test func comparingAnAnswerWithAnOptionIdIsFine() throws {
        let when = "      - when: vars.retries >= 3"
        try Self.expectFindings(Self.validate(Self.flow(when, "      - when: session.answers.Q1 == 'no'")), [])
        try Self.expectFindings(Self.validate(Self.flow(when, "      - when: session.answers.Q1 == 'nope'")), ["expr.unknown-option main.flow.yaml:41:37"])
    }

    @Test func conditionReadingAVariableIsNotConstant() throws {
        try Self.expectFindings(Self.validate(), [])
        try Self.expectFindings(Self.validate(Self.flow("vars.retries >= 3", "3 >= 3")), ["expr.constant-condition main.flow.yaml:41:15"])
    }

    // MARK: Manifest and tenant

    @Test func thresholdsMustHaveNoiseBelowValid() throws {
        let line = "thresholds: { valid: 0.65, noise: 0.30 }"
        try Self.expectFindings(Self.validate(Self.tenant(line, "thresholds: { valid: 0.65, noise: 0.3 }")), [])
        try Self.expectFindings(Self.validate(Self.tenant(line, "thresholds: { valid: 0.65, noise: 0.7 }")), ["manifest.thresholds tenant.yaml:7:35"])
        try Self.expectFindings(Self.validate(Self.tenant(line, "thresholds: { valid: 0.65, noise: 0.65 }")), ["manifest.thresholds tenant.yaml:7:35"])
        try Self.expectFindings(Self.validate(Self.tenant(line, "thresholds: { valid: 1.5, noise: 0.3 }")), ["manifest.thresholds tenant.yaml:7:22"])
    }

    @Test func repromptAndNudgeLimitsAllowTheDefaultsAndAReason() throws {
        let line = "limits: { reprompts: 3, nudges: 2 }"
        try Self.expectFindings(Self.validate(Self.tenant(line, "limits: { reprompts: 4, nudges: 2 }")), ["manifest.reprompt-limit tenant.yaml:8:22"])
        try Self.expectFindings(Self.validate(Self.tenant(line, "limits: { reprompts: 3, nudges: 3 }")), ["manifest.nudge-limit tenant.yaml:8:33"])
        try Self.expectFindings(Self.validate(Self.tenant(line, "limits: { reprompts: 4, nudges: 3, reason: agreed with the clinic }")), [])
    }

    @Test func routerWithADefaultRoutesEveryOption() throws {
        try Self.expectFindings(Self.validate(Self.manifest("    next: done\n", "    next:\n      routes: { \"yes\": done }\n      default: done\n")), [])
        try Self.expectFindings(Self.validate(Self.manifest("    next: done\n", "    next:\n      routes: { \"yes\": done }\n")), ["manifest.option-unrouted manifest.yaml:13:7"])
    }

    // MARK: WhatsApp limits

    static func buttons(_ count: Int) -> Edit {
        let items = (1...max(count, 1)).prefix(count).map { "      - { id: b\($0), title: Button \($0) }\n" }.joined()
        return flow("    type: wa.send\n    step: Q1\n", "    type: wa.send\n    text: Pick one\n    buttons:\n" + (count == 0 ? "      []\n" : items))
    }

    @Test func threeButtonsAreFineButFourAreNot() throws {
        try Self.expectFindings(Self.validate(Self.buttons(3)), [])
        try Self.expectFindings(Self.validate(Self.buttons(4)), ["wa.buttons-count main.flow.yaml:13:5"])
    }

    @Test func threeManifestOptionsMayBeButtonsButFourMustBeAList() throws {
        let extra = "      - id: \"no\"\n        title: \"No\"\n"
        let four = extra + "      - { id: maybe, title: Maybe }\n      - { id: later, title: Later }\n"
        try Self.expectFindings(Self.validate(Self.manifest(extra, extra + "      - { id: maybe, title: Maybe }\n")), [])
        try Self.expectFindings(Self.validate(Self.manifest(extra, four)), ["wa.buttons-need-list manifest.yaml:3:11"])
        try Self.expectFindings(Self.validate(Self.manifest(extra, four), Self.manifest("kind: buttons", "kind: list")), [])
    }

    @Test func buttonTitleOf20CharactersIsFineButNot21() throws {
        let title = "        title: \"Yes\""
        try Self.expectFindings(Self.validate(Self.manifest(title, "        title: \"\(String(repeating: "y", count: 20))\"")), [])
        try Self.expectFindings(Self.validate(Self.manifest(title, "        title: \"\(String(repeating: "y", count: 21))\"")), ["wa.button-title manifest.yaml:7:16"])
        // Titles must also differ (case-insensitively) within one message.
        try Self.expectFindings(Self.validate(Self.manifest("        title: \"No\"", "        title: \"yes\"")), ["wa.button-title manifest.yaml:10:16"])
    }

    @Test func replyIdOf256CharactersIsFineButNot257() throws {
        func send(_ length: Int) -> Edit {
            Self.flow("    type: wa.send\n    step: Q1\n",
                      "    type: wa.send\n    text: Go on?\n    buttons:\n      - id: \(String(repeating: "i", count: length))\n        title: Go on\n")
        }
        try Self.expectFindings(Self.validate(send(256)), [])
        try Self.expectFindings(Self.validate(send(257)), ["wa.id-length main.flow.yaml:14:13"])
    }

    @Test func headerOf60CharactersIsFineButNot61() throws {
        func header(_ length: Int) -> Edit {
            Self.flow("    step: Q1\n    next: wait\n", "    step: Q1\n    header: \(String(repeating: "h", count: length))\n    next: wait\n")
        }
        try Self.expectFindings(Self.validate(header(60)), [])
        try Self.expectFindings(Self.validate(header(61)), ["wa.header-footer-length main.flow.yaml:13:13"])
    }

    @Test func interactiveBodyOf1024CharactersIsFineButNot1025() throws {
        func question(_ length: Int) -> Edit {
            Self.manifest("    question: Are you new here?", "    question: \(String(repeating: "q", count: length))")
        }
        try Self.expectFindings(Self.validate(question(1024)), [])
        try Self.expectFindings(Self.validate(question(1025)), ["wa.body-length manifest.yaml:4:15"])
    }

    /// Q1 as a list step: `rows` options (the first titled `title`, described by `description`).
    static func list(rows: Int, title: String = "Row 1", description: String = "A row", button: String = "Choose") -> Edit {
        let options = (1...rows).map { i in
            i == 1 ? "      - { id: r1, title: \"\(title)\", description: \"\(description)\" }\n" : "      - { id: r\(i), title: Row \(i) }\n"
        }.joined()
        return manifest("""
                kind: buttons
                question: Are you new here?
                options:
                  - id: "yes"
                    title: "Yes"
                    segments: [CA_NEW]
                  - id: "no"
                    title: "No"

            """, "    kind: list\n    question: Which one?\n    list_button: \(button)\n    options:\n" + options)
    }

    @Test func listOf10RowsIsFineButNot11() throws {
        try Self.expectFindings(Self.validate(Self.list(rows: 10)), [])
        try Self.expectFindings(Self.validate(Self.list(rows: 11)), ["wa.list-rows manifest.yaml:6:5"])
    }

    @Test func listRowTitleDescriptionAndButtonLimits() throws {
        try Self.expectFindings(Self.validate(Self.list(rows: 2, title: String(repeating: "t", count: 24))), [])
        try Self.expectFindings(Self.validate(Self.list(rows: 2, title: String(repeating: "t", count: 25))), ["wa.list-row-title manifest.yaml:7:26"])
        try Self.expectFindings(Self.validate(Self.list(rows: 2, description: String(repeating: "d", count: 72))), [])
        try Self.expectFindings(Self.validate(Self.list(rows: 2, description: String(repeating: "d", count: 73))), ["wa.list-row-description manifest.yaml:7:48"])
        try Self.expectFindings(Self.validate(Self.list(rows: 2, button: String(repeating: "b", count: 20))), [])
        try Self.expectFindings(Self.validate(Self.list(rows: 2, button: String(repeating: "b", count: 21))), ["wa.list-button manifest.yaml:5:18"])
    }

    /// The wait's timeout leads to a send `remind` (with or without a template).
    static func remind(after timeout: String, template: Bool) -> [Edit] {
        [
            flow("    timeout: 30m\n    on:\n      message: classify\n      timeout: bye\n",
                 "    timeout: \(timeout)\n    on:\n      message: classify\n      timeout: remind\n"),
            flow("  - id: bye\n", "  - id: remind\n    type: wa.send\n    text: Still interested?\n"
                 + (template ? "    template: { name: still_interested, language: en }\n" : "") + "    next: bye\n  - id: bye\n"),
        ]
    }

    @Test func sendAfterA24HourWaitNeedsATemplate() throws {
        try Self.expectFindings(Self.validate(Self.remind(after: "24h", template: true)), [])
        try Self.expectFindings(Self.validate(Self.remind(after: "23h", template: false)), [])
        try Self.expectFindings(Self.validate(Self.remind(after: "24h", template: false)), ["wa.template-required main.flow.yaml:44:9"])
    }

    // MARK: Emissions

    @Test func emitWithKeyIsFine() throws {
        try Self.expectFindings(Self.validate(), [])
        try Self.expectFindings(Self.validate(Self.flow("    key: ${session.id}-q1-${hash(message.text)}\n", "")), ["emit.missing-key main.flow.yaml:27:9"])
    }

    @Test func leadSubmittedIsAllowedButLeadIsNot() throws {
        let mapping = "event_names: { QUALIFY_Q1: LeadSubmitted }"
        try Self.expectFindings(Self.validate(Self.tenant(mapping, "event_names: { QUALIFY_Q1: QualifiedLead }")), [])
        try Self.expectFindings(Self.validate(Self.tenant(mapping, "event_names: { QUALIFY_Q1: Lead }")), ["emit.event-not-allowed tenant.yaml:13:30"])
        // An unmapped event sent with business_messaging is checked too, at the emit's `event:`.
        let event = Self.flow("    step: Q1\n    key:", "    event: Lead\n    key:")
        try Self.expectFindings(Self.validate(event), ["emit.event-not-allowed main.flow.yaml:29:12"])
        try Self.expectFindings(Self.validate(Self.flow("    step: Q1\n    key:", "    event: LeadSubmitted\n    key:")), [])
        // The NOISE stream of examples/minimal uses action_source chat: no business-messaging check.
        try Self.expectFindings(Self.validate(Self.flow("    step: Q1\n    key:", "    event: Lead\n    stream: NOISE\n    key:")), [])
    }

    @Test func separateDatasetsAreFine() throws {
        try Self.expectFindings(Self.validate(), [])
        try Self.expectFindings(Self.validate(Self.tenant("dataset_id: \"222\"", "dataset_id: \"111\"")), ["emit.shared-dataset tenant.yaml:11:24"])
    }

    // MARK: Suppressions

    @Test func suppressionWithAReasonHidesTheFinding() throws {
        let orphan = "  - id: orphan\n    type: end\n"
        func comment(_ text: String) -> Edit { Self.flow("    type: end\n", "    type: end\n\(text)\(orphan)") }
        try Self.expectFindings(Self.validate(comment("")), ["graph.unreachable main.flow.yaml:46:9"])
        try Self.expectFindings(Self.validate(comment("  # arriwa-ignore graph.unreachable: kept for the spring campaign\n")), [])
        try Self.expectFindings(Self.validate(comment("  # arriwa-ignore graph.unreachable\n")), ["suppress.missing-reason main.flow.yaml:46:3", "graph.unreachable main.flow.yaml:47:9"])
    }
}
