import Foundation
import Testing
@testable import ArriwaCore

/// Thousands of random mutations of the demo tenant's files: the loader and validator must
/// never crash, and must always answer with well-formed diagnostics (known rule, a position
/// inside the file that was mutated).
@Suite struct ValidatorFuzzTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func demoFiles() throws -> [SourceFile] {
        let dir = root.appendingPathComponent("flows/demo-clinic")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".yaml") }.sorted()
        return try names.map { try SourceFile.read(path: dir.appendingPathComponent($0).path) }
    }

    /// A deterministic generator (SplitMix64) so a failure reproduces from its seed.
    struct Rng {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }
    }

    static let junk: [String] = [":", "-", "{", "}", "[", "]", "\"", "'", "#", "&a", "*a", "|", ">", "\t", "  ", "${", "}}", "\\", "\u{0}", "é", "🙂", "!!str ", "? ", "%YAML 1.2", "---", "...", "\r\n", "next: nowhere", "type: wa.send", "- id: x", "when: ((", "1e999", "null", "~"]

    static func mutate(_ text: String, _ rng: inout Rng) -> String {
        var lines = text.components(separatedBy: "\n")
        for _ in 0...rng.below(3) {
            guard !lines.isEmpty else { break }
            let i = rng.below(lines.count)
            switch rng.below(8) {
            case 0: lines.remove(at: i)
            case 1: lines.insert(lines[rng.below(lines.count)], at: i)
            case 2: lines[i] = " " + lines[i]
            case 3: lines[i] = String(lines[i].dropFirst(min(2, lines[i].count)))
            case 4:
                var chars = Array(lines[i])
                let at = rng.below(chars.count + 1)
                chars.insert(contentsOf: junk[rng.below(junk.count)], at: at)
                lines[i] = String(chars)
            case 5:
                var chars = Array(lines[i])
                if !chars.isEmpty { chars.remove(at: rng.below(chars.count)) }
                lines[i] = String(chars)
            case 6: lines = Array(lines.prefix(i))
            default: lines.swapAt(i, rng.below(lines.count))
            }
        }
        return lines.joined(separator: "\n")
    }

    @Test("2,000 mutated demo tenants never crash the validator and always give well-formed diagnostics")
    func mutatedDemoNeverCrashes() throws {
        let files = try Self.demoFiles()
        #expect(files.count == 4)
        var rng = Rng(state: 0xDEC0DE)
        var withFindings = 0
        let runs = 2_000
        for run in 0..<runs {
            let target = rng.below(files.count)
            var mutated = files
            mutated[target] = SourceFile(path: files[target].path, text: Self.mutate(files[target].text, &rng))
            let project = ProjectLoader.loadTenant(files: mutated)
            let diagnostics = Suppressions.apply(Validator.validate(project), files: project.files)
            if !diagnostics.isEmpty { withFindings += 1 }
            for d in diagnostics {
                #expect(Rules.byID[d.rule] != nil, "run \(run): unknown rule \(d.rule)")
                #expect(d.location.line >= 1 && d.location.column >= 1, "run \(run): bad position \(d)")
                #expect(project.files[d.location.file] != nil, "run \(run): diagnostic in an unknown file \(d)")
            }
        }
        // Most mutations break something; a validator that stayed silent would be broken itself.
        #expect(withFindings > runs / 2, "only \(withFindings) of \(runs) mutated tenants produced findings")
    }

    @Test("random bytes as YAML give yaml or schema diagnostics, never a crash")
    func garbageFiles() {
        var rng = Rng(state: 42)
        let alphabet = Array("ab:-{}[]\"'#&*|>\n \t,?!%@`é🙂\\0123")
        for run in 0..<2_000 {
            let text = String((0..<rng.below(200)).map { _ in alphabet[rng.below(alphabet.count)] })
            let file = SourceFile(path: "fuzz/x.flow.yaml", text: text)
            let project = ProjectLoader.loadTenant(files: [file])
            let diagnostics = Validator.validate(project)
            #expect(!diagnostics.isEmpty, "run \(run): garbage accepted silently: \(text.debugDescription)")
        }
    }

    @Test("malformed YAML is reported as yaml.syntax at the position libyaml names")
    func malformedYAMLPosition() {
        let file = SourceFile(path: "t/main.flow.yaml", text: "flow: main\nnodes:\n  - id: a\n    type: [start\n")
        let diagnostics = Validator.validate(ProjectLoader.loadTenant(files: [file]))
        #expect(diagnostics.map(\.rule) == ["yaml.syntax"])
        #expect(diagnostics.first?.location.line == 5)
    }
}
