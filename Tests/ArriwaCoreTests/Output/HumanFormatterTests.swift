import Testing
@testable import ArriwaCore

@Suite struct HumanFormatterTests {
    @Test func exactOutput() {
        let text = HumanFormatter().format(OutputFixture.report)
        #expect(text == """
            acme/main.flow.yaml:3:8: warning: node 'ab' is unreachable [graph.unreachable]
            \t- id: ab
            \t      ^~
            acme/tenant.yaml:3:1: error: unknown key 'provder' in tenant.yaml [schema.unknown-key]
            provder:
            ^~~~~~~
              hint: did you mean 'provider'?
            x:y/odd,name.flow.yaml:7:2: note: 50% of 'a,b'
            second line [expr.constant-condition]
            1 error, 1 warning, 1 note in 2 files (1 tenant)

            """)
    }

    @Test func cleanSummary() {
        #expect(HumanFormatter().format(OutputFixture.clean) == "✓ no problems in 2 files (1 tenant)\n")
        let none = ValidationReport(diagnostics: [], files: [:], tenants: 0)
        #expect(HumanFormatter().format(none) == "✓ no problems in 0 files (0 tenants)\n")
    }

    @Test func summaryPluralizes() {
        let summary = ValidationSummary(errors: 2, warnings: 0, notes: 1, files: 1, tenants: 3)
        #expect(summary.line == "2 errors, 0 warnings, 1 note in 1 file (3 tenants)")
    }

    @Test func quietPrintsOnlyTheSummary() {
        let text = HumanFormatter(quiet: true).format(OutputFixture.report)
        #expect(text == "1 error, 1 warning, 1 note in 2 files (1 tenant)\n")
    }

    @Test func colorOnlyWhenAsked() {
        #expect(!HumanFormatter().format(OutputFixture.report).contains("\u{1B}["))
        let colored = HumanFormatter(colored: true).format(OutputFixture.report)
        #expect(colored.contains("\u{1B}[1;31merror:\u{1B}[0m"))
        #expect(colored.contains("\u{1B}[1;33mwarning:\u{1B}[0m"))
        #expect(colored.contains("\u{1B}[1;32m^~~~~~~\u{1B}[0m"))
    }

    @Test func caretSpansMultipleColumns() {
        #expect(HumanFormatter.caretLine(for: "    next: qualfy", column: 11, length: 6) == "          ^~~~~~")
        // Columns count Unicode scalars, not bytes.
        #expect(HumanFormatter.caretLine(for: "title: Больше $5", column: 8, length: 6) == "       ^~~~~~")
        #expect(HumanFormatter.caretLine(for: "x", column: 1, length: 1) == "^")
    }

    @Test func caretKeepsTabsInThePadding() {
        #expect(HumanFormatter.caretLine(for: "\t\tkey: value", column: 8, length: 5) == "\t\t     ^~~~~")
    }

    @Test func caretIsClippedToTheLine() {
        // A span running past the end of the line stops there; a column past the end still gets a caret.
        #expect(HumanFormatter.caretLine(for: "abc", column: 2, length: 10) == " ^~")
        #expect(HumanFormatter.caretLine(for: "abc", column: 4, length: 3) == "   ^")
    }

    @Test func missingLineQuotesNothing() {
        let d = Diagnostic(rule: "yaml.syntax", message: "bad", at: SourceLocation(file: "a.yaml", line: 9, column: 1))
        let file = SourceFile(path: "a.yaml", text: "one line\n")
        #expect(HumanFormatter().format(d, file: file) == "a.yaml:9:1: error: bad [yaml.syntax]\n")
    }

    @Test func crlfLinesAreQuotedWithoutTheCarriageReturn() {
        let d = Diagnostic(rule: "yaml.syntax", message: "bad", at: SourceLocation(file: "a.yaml", line: 2, column: 3), length: 2)
        let file = SourceFile(path: "a.yaml", text: "a: 1\r\nb: 2\r\n")
        #expect(HumanFormatter().format(d, file: file) == "a.yaml:2:3: error: bad [yaml.syntax]\nb: 2\n  ^~\n")
    }
}
