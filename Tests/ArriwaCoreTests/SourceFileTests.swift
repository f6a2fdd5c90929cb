import Testing
@testable import ArriwaCore

@Suite struct SourceFileTests {
    @Test("lines split LF and CRLF files alike, without their line ends")
    func crlfLines() {
        let lf = SourceFile(path: "a.yaml", text: "a: 1\nb: 2\n")
        let crlf = SourceFile(path: "b.yaml", text: "a: 1\r\nb: 2\r\n")
        #expect(lf.lines == ["a: 1", "b: 2", ""])
        #expect(crlf.lines == ["a: 1", "b: 2", ""])
        #expect(crlf.line(2) == "b: 2")
        #expect(crlf.line(4) == nil)
    }

    @Test("a CRLF flow file reports the same positions as its LF twin")
    func crlfPositions() {
        let text = "flow: main\nversion: 1.0.0\nstart: begin\nnodes:\n  - id: begin\n    type: start\n    next: nowhere\n"
        func positions(_ t: String) -> [String] {
            Validator.validate(ProjectLoader.loadFlows(files: [SourceFile(path: "x.flow.yaml", text: t)]))
                .map { "\($0.rule) \($0.location.line):\($0.location.column)" }
        }
        #expect(positions(text) == ["graph.unknown-target 7:11"])
        #expect(positions(text.replacingOccurrences(of: "\n", with: "\r\n")) == positions(text))
    }

    @Test("durations: the YAML grammar accepts 15m, 1h30m, 2d and rejects negatives and words")
    func durations() {
        #expect(DurationSyntax.milliseconds("15m") == 900_000)
        #expect(DurationSyntax.milliseconds("1h30m") == 5_400_000)
        #expect(DurationSyntax.milliseconds("2d") == 172_800_000)
        #expect(DurationSyntax.milliseconds("-5m") == nil)
        #expect(DurationSyntax.milliseconds("15 minutes") == nil)
        #expect(DurationSyntax.milliseconds("") == nil)
    }
}

@Suite struct SuggestTests {
    @Test("edit distance counts a swap of neighbours as one edit")
    func distances() {
        #expect(Suggest.distance("aks", "ask") == 1)
        #expect(Suggest.distance("kitten", "sitting") == 3)
        #expect(Suggest.distance("", "abc") == 3)
        #expect(Suggest.distance("same", "same") == 0)
    }

    @Test("did-you-mean finds transposed and misspelt names, and stays quiet for unrelated ones")
    func closest() {
        #expect(Suggest.closest(to: "aks", in: ["ask", "wait", "bye"]) == "ask")
        #expect(Suggest.closest(to: "clasify", in: ["classify", "record"]) == "classify")
        #expect(Suggest.closest(to: "zebra", in: ["ask", "wait"]) == nil)
    }
}
