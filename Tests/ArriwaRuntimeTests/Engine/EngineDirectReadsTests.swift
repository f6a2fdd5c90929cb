@testable import ArriwaCore
import Foundation
import Testing

/// Expressions and templates compiled to direct reads of the turn (`TurnExpr`, `TurnTemplate`)
/// give exactly what the interpreter gives: the same program compiled with and without them runs
/// the same random sequences to the same states and effects, and the cases a direct read must
/// leave to the interpreter (unknown paths, wrong types) still fail with the interpreter's error.
@Suite struct EngineDirectReadsTests {
    static func demo(directReads: Bool) throws -> Program {
        let project = ProjectLoader.loadTenant(directory: Harness.root.appendingPathComponent("flows/demo-clinic").path)
        return try Program.compile(project, directReads: directReads)
    }

    /// A tenant from examples/minimal with `flow` as its main flow.
    static func minimal(flow: String, directReads: Bool) throws -> Program {
        let dir = Harness.root.appendingPathComponent("examples/minimal")
        let files = [
            "tenant.yaml": try String(contentsOf: dir.appendingPathComponent("tenant.yaml"), encoding: .utf8),
            "manifest.yaml": try String(contentsOf: dir.appendingPathComponent("manifest.yaml"), encoding: .utf8),
            "main.flow.yaml": flow,
        ]
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("arriwa-direct-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        for (name, text) in files { try text.write(to: tmp.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        return try Program.compile(ProjectLoader.loadTenant(directory: tmp.path), directReads: directReads)
    }

    @Test func theDemoFlowsHotExpressionsAreCompiled() throws {
        let program = try Self.demo(directReads: true)
        let qualification = try #require(program.flow(named: "qualification"))
        func node(_ id: String) throws -> CompiledNode { qualification.nodes[try #require(qualification.index[id])] }
        guard case .emit(let record) = try node("record").kind else { Issue.record("record is not an emit node"); return }
        #expect(record.compiledKey != nil, "the answer key ${session.id}-${lower(vars.step)}-${hash(message.text)}")
        guard case .classify(let classify) = try node("classify").kind else { Issue.record("classify"); return }
        #expect(classify.compiledInput != nil, "message.text")
        #expect(try node("advance").compiled.allSatisfy { $0 != nil }, "next_step(vars.step, message.classification.answer), 0")
        #expect(try node("route").compiled.allSatisfy { $0 != nil }, "vars.step == 'done'")
        guard case .send(let ask) = try node("ask").kind else { Issue.record("ask"); return }
        #expect(ask.templateParams.count == 1 && ask.templateParams[0] != nil, "${vars.step}")
        // Not a compiled shape: left to the interpreter.
        #expect(try node("ambiguous_limit").compiled.allSatisfy { $0 == nil }, "vars.retries >= tenant.limits.reprompts")
    }

    @Test("direct reads and the interpreter run random sequences to the same states and effects")
    func sameTraces() throws {
        let direct = try Self.demo(directReads: true)
        let interpreted = try Self.demo(directReads: false)
        var turns = 0
        for i in 0..<120 {
            let seed = EnginePropertyTests.baseSeed &+ 0x2_0000 &+ UInt64(i)
            var a = PropertyWorld(program: direct, seed: seed, checkPurity: false, recordTrace: true)
            a.runSequence()
            var b = PropertyWorld(program: interpreted, seed: seed, checkPurity: false, recordTrace: true)
            b.runSequence()
            turns += a.trace.count
            #expect(a.trace.count == b.trace.count, "seed \(hex(seed)): \(a.trace.count) vs \(b.trace.count) turns")
            if let k = zip(a.trace, b.trace).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
                Issue.record("seed \(hex(seed)): turn \(k) differs between direct reads and the interpreter")
            }
        }
        #expect(turns > 2_000)
    }

    /// A flow whose compiled expressions hit the cases a direct read leaves to the interpreter.
    static let edgeFlow = """
    flow: main
    start: begin
    vars:
      step: { type: string, default: Q1 }
    nodes:
      - id: begin
        type: start
        next: check
      - id: check
        type: condition
        branches:
          - when: vars.missing == 'x'
            next: done
        else: done
      - id: done
        type: end
        outcome: done
    """

    @Test func anUnknownPathFailsWithTheInterpretersError() throws {
        var outcomes: [[Effect]] = []
        for directReads in [true, false] {
            let program = try Self.minimal(flow: Self.edgeFlow, directReads: directReads)
            let contact = Contact(subscriberID: "sub-1", phoneHash: "phone-1", language: "en")
            let event = EngineEvent.inbound(InboundMessage(id: "wamid.1", text: "Hi", receivedAt: Harness.t0, contact: contact))
            guard case .completed(_, let effects) = Engine(program: program).handle(nil, event, now: Harness.t0) else {
                Issue.record("the turn did not complete")
                return
            }
            outcomes.append(effects)
        }
        let failures = outcomes.map { $0.compactMap { if case .error(let f) = $0 { f } else { nil } } }
        #expect(failures[0].count == 1 && failures[0].first?.code == .evaluation)
        #expect(failures[0].first?.message.contains("vars.missing") == true, "\(failures[0])")
        #expect(outcomes[0] == outcomes[1])
    }

    @Test func directValuesMatchTheInterpreterOnEdgeValues() throws {
        // lower() on ASCII and non-ASCII text, as String.lowercased() gives it.
        for text in ["Q1", "q1", "ABC-def_09", "", "İSTANBUL", "Ёлка", "ß", "MiXeD ÄÖÜ", String(repeating: "A", count: 40)] {
            #expect(Turn.lowercased(text) == text.lowercased(), "\(text)")
        }
        // hash() written into a key is hash() rendered on its own.
        for text in ["", "2000", "Moscow", "This month", "Москва, Хамовники", String(repeating: "x", count: 200), "🙂"] {
            var key = "s-q1-"
            Turn.appendHash(of: text, to: &key)
            #expect(key == "s-q1-" + ExprInterpreter.hash(text), "\(text)")
        }
        #expect(TurnExpr(try ExprParser.parse("lower(vars.step)")) != nil)
        #expect(TurnExpr(try ExprParser.parse("vars.step.lower()")) != nil)
        #expect(TurnExpr(try ExprParser.parse("upper(vars.step)")) == nil)
        #expect(TurnExpr(try ExprParser.parse("vars.a + 1")) == nil)
    }
}
