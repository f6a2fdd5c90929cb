import Testing
@testable import ArriwaCore

@Suite struct FlowGraphTests {
    static func flow(_ yaml: String, file: String = "welcome.flow.yaml") throws -> Flow {
        let (root, diagnostics) = YAMLLoader.load(SourceFile(path: file, text: yaml))
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let mapping = try #require(root?.mapping)
        return Flow(file: file, root: mapping)
    }

    static let small = """
    flow: welcome
    version: 1.0.0
    start: begin
    nodes:
      - id: begin
        type: start
        next: ask
      - id: ask
        type: wa.send
        text: Hi
        next: wait_answer
      - id: wait_answer
        type: wait
        on:
          message: check
          timeout: done
      - id: check
        type: condition
        branches:
          - when: message.text == "yes"
            next: done
        else: human
      - id: human
        type: handover
      - id: done
        type: end
    """

    @Test func mermaidForASmallFlow() throws {
        let output = FlowGraph.mermaid(try Self.flow(Self.small))
        #expect(output == """
        flowchart TD
            n0(["begin<br/>start"])
            n1["ask<br/>wa.send"]
            n2{{"wait_answer<br/>wait"}}
            n3{"check<br/>condition"}
            n4[["human<br/>handover"]]
            n5((("done<br/>end")))
            n0 -->|"next"| n1
            n1 -->|"next"| n2
            n2 -->|"message"| n3
            n2 -->|"timeout"| n5
            n3 -->|"message.text == #quot;yes#quot;"| n5
            n3 -->|"else"| n4

        """)
    }

    @Test func dotForASmallFlow() throws {
        let output = FlowGraph.dot(try Self.flow(Self.small))
        #expect(output == #"""
        digraph "welcome" {
            rankdir=TB;
            node [fontname="Helvetica", fontsize=11];
            edge [fontname="Helvetica", fontsize=10];
            "begin" [label="begin\nstart", shape=box, style=rounded];
            "ask" [label="ask\nwa.send", shape=box];
            "wait_answer" [label="wait_answer\nwait", shape=hexagon];
            "check" [label="check\ncondition", shape=diamond];
            "human" [label="human\nhandover", shape=box, peripheries=2];
            "done" [label="done\nend", shape=doublecircle];
            "begin" -> "ask" [label="next"];
            "ask" -> "wait_answer" [label="next"];
            "wait_answer" -> "check" [label="message"];
            "wait_answer" -> "done" [label="timeout"];
            "check" -> "done" [label="message.text == \"yes\""];
            "check" -> "human" [label="else"];
        }

        """#)
    }

    static let tricky = #"""
    flow: tricky
    nodes:
      - id: route
        type: condition
        branches:
          - when: 'vars.name == "A|B" && vars.count > 1 # not a comment'
            next: a.b-c
          - when: vars.x < 2
            next: nowhere
        else: a.b-c
      - id: a.b-c
        type: end
    """#

    @Test func mermaidEscapesQuotesAndSyntaxAndShortensWhen() throws {
        let output = FlowGraph.mermaid(try Self.flow(Self.tricky))
        // 40 characters: 39 of the expression, then the ellipsis; then entity codes.
        #expect(output.contains(#"n0 -->|"vars.name == #quot;A#124;B#quot; #amp;#amp; vars.count #gt; 1 #35;…"| n1"#))
        #expect(output.contains(#"n0 -->|"vars.x #lt; 2"| m0"#))
        // Ids with `.` and `-` never appear as Mermaid keys.
        #expect(output.contains(#"    n1((("a.b-c<br/>end")))"#))
        // An edge to an undefined id goes to a marked placeholder.
        #expect(output.contains(#"    m0["nowhere<br/>(missing)"]"#))
        #expect(output.contains("    class m0 missing\n"))
    }

    @Test func dotEscapesQuotesAndBackslashes() throws {
        let output = FlowGraph.dot(try Self.flow(Self.tricky))
        #expect(output.contains(#""route" -> "a.b-c" [label="vars.name == \"A|B\" && vars.count > 1 #…"];"#))
        #expect(output.contains(#""nowhere" [label="nowhere\n(missing)", shape=box, style=dashed, color=red, fontcolor=red];"#))
        #expect(FlowGraph.dotString("a \"b\" \\ c\nd") == #""a \"b\" \\ c\nd""#)
    }

    @Test func labelsAreCutAtFortyCharacters() {
        let exact = String(repeating: "x", count: 40)
        #expect(FlowGraph.shorten(exact) == exact)
        let long = String(repeating: "y", count: 41)
        let cut = FlowGraph.shorten(long)
        #expect(cut.count == 40)
        #expect(cut == String(repeating: "y", count: 39) + "…")
        #expect(FlowGraph.shorten("a\n  b") == "a b")
    }

    @Test func mermaidTextEntities() {
        #expect(FlowGraph.mermaidText(#"say "hi" <b> & #1 | x"#) == "say #quot;hi#quot; #lt;b#gt; #amp; #35;1 #124; x")
    }

    @Test func severalFlowsAndMarkdown() throws {
        let a = try Self.flow(Self.small)
        let b = try Self.flow("flow: other\nnodes:\n  - id: stop\n    type: end\n", file: "other.flow.yaml")
        let single = FlowGraph.render([b], format: .mermaid, markdown: true)
        #expect(single == "```mermaid\nflowchart TD\n    n0(((\"stop<br/>end\")))\n```\n")
        let plain = FlowGraph.render([a, b], format: .mermaid)
        #expect(plain.hasPrefix("%% flow: welcome\nflowchart TD\n"))
        #expect(plain.contains("\n%% flow: other\nflowchart TD\n    n0(((\"stop<br/>end\")))\n"))
        let markdown = FlowGraph.render([a, b], format: .mermaid, markdown: true)
        #expect(markdown.hasPrefix("## welcome\n\n```mermaid\nflowchart TD\n"))
        #expect(markdown.hasSuffix("## other\n\n```mermaid\nflowchart TD\n    n0(((\"stop<br/>end\")))\n```\n"))
        let dot = FlowGraph.render([a, b], format: .dot)
        #expect(dot.components(separatedBy: "digraph ").count == 3)
        #expect(FlowGraph.render([b], format: .dot) == FlowGraph.dot(b))
    }

    @Test func callEdgesUseOutcomeNames() throws {
        let flow = try Self.flow("""
        flow: main
        nodes:
          - id: qualify
            type: call
            flow: qualification
            on:
              qualified: done
            default: done
          - id: done
            type: end
        """)
        #expect(FlowGraph.mermaid(flow).contains("n0 -->|\"qualified\"| n1\n    n0 -->|\"default\"| n1\n"))
    }
}
