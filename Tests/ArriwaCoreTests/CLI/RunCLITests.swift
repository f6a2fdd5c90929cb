import Foundation
import Testing

/// End-to-end tests of `arriwa test` and `arriwa chat` on the built binary.
@Suite struct RunCLITests {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    func arriwa(_ arguments: [String], stdin: String? = nil, in directory: String = ValidateCLITests.packageRoot) throws -> Output {
        let binary = try #require(ValidateCLITests.binary, "the arriwa binary was not found; run `swift build` first")
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("arriwa-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let out = tmp.appendingPathComponent("out").path, err = tmp.appendingPathComponent("err").path
        let input = tmp.appendingPathComponent("in").path
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        _ = FileManager.default.createFile(atPath: input, contents: Data((stdin ?? "").utf8))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let outHandle = try #require(FileHandle(forWritingAtPath: out))
        let errHandle = try #require(FileHandle(forWritingAtPath: err))
        let inHandle = try #require(FileHandle(forReadingAtPath: input))
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = inHandle
        try process.run()
        process.waitUntilExit()
        try outHandle.close()
        try errHandle.close()
        return Output(status: process.terminationStatus,
                      stdout: String(decoding: FileManager.default.contents(atPath: out) ?? Data(), as: UTF8.self),
                      stderr: String(decoding: FileManager.default.contents(atPath: err) ?? Data(), as: UTF8.self))
    }

    /// A copy of the demo tenant with `tests/` replaced by `tests`.
    func demoCopy(tests: [String: String]) throws -> URL {
        let root = URL(fileURLWithPath: ValidateCLITests.packageRoot)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("arriwa-demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("tests"), withIntermediateDirectories: true)
        for name in ["tenant.yaml", "manifest.yaml", "main.flow.yaml", "qualification.flow.yaml"] {
            try FileManager.default.copyItem(at: root.appendingPathComponent("flows/demo-clinic/\(name)"), to: dir.appendingPathComponent(name))
        }
        for (name, text) in tests { try text.write(to: dir.appendingPathComponent("tests/\(name)"), atomically: true, encoding: .utf8) }
        return dir
    }

    @Test("serve refuses a dispatch concurrency out of range before opening anything, naming the flag and the variable")
    func serveRefusesABadDispatchConcurrency() throws {
        let database = FileManager.default.temporaryDirectory.appendingPathComponent("arriwa-serve-\(UUID().uuidString).db").path
        defer { try? FileManager.default.removeItem(atPath: database) }
        let result = try arriwa(["serve", "--database-url", "sqlite:\(database)", "--dispatch-concurrency", "0"])
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("dispatch concurrency must be 1…4096 (--dispatch-concurrency or ARRIWA_DISPATCH_CONCURRENCY)"))
        #expect(!FileManager.default.fileExists(atPath: database), "nothing is opened before the settings are valid")
    }

    @Test func demoTenantTestsPass() throws {
        let result = try arriwa(["test", "flows/demo-clinic"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("✓ Happy path — a CTWA lead qualifies"))
        #expect(result.stdout.contains("0 failed"))
    }

    @Test func failingTestShowsTheDifferenceAndExitsOne() throws {
        let dir = try demoCopy(tests: ["wrong.yaml": """
            test: Expects the wrong greeting
            steps:
              - say: Hi
                expect:
                  bot: ["Hello there!"]
            """])
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try arriwa(["test", dir.path])
        #expect(result.status == 1)
        #expect(result.stdout.contains("✗ Expects the wrong greeting"))
        #expect(result.stdout.contains("step 1 of 1 `say: Hi` at \(dir.path)/tests/wrong.yaml:3:5"))
        #expect(result.stdout.contains("bot messages differ:"))
        #expect(result.stdout.contains("✗ 1. \"Hello there!\""))
        #expect(result.stdout.contains("1. \"Hi! Which treatment are you interested in?\" [buttons: Implants | Whitening | Check-up]"))
    }

    @Test func jsonFormatReportsEveryTest() throws {
        let dir = try demoCopy(tests: [
            "a.yaml": "test: passes\nsteps:\n  - say: Hi\n    expect: { events: [FUNNEL_STARTED] }\n",
            "b.yaml": "test: fails\nsteps:\n  - say: Hi\n    expect: { events: [] }\n",
        ])
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try arriwa(["test", dir.path, "--format", "json"])
        #expect(result.status == 1)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let summary = try #require(json["summary"] as? [String: Int])
        #expect(summary == ["tests": 2, "passed": 1, "failed": 1])
        let tests = try #require(json["tests"] as? [[String: Any]])
        let failure = try #require(tests.first { $0["name"] as? String == "fails" }?["failure"] as? [String: Any])
        #expect(failure["line"] as? Int == 3)
        #expect((failure["message"] as? String)?.contains("FUNNEL_STARTED") == true)
    }

    @Test func malformedTestFileExitsTwoWithItsPosition() throws {
        let dir = try demoCopy(tests: ["bad.yaml": "test: typo\nsteps:\n  - sya: Hi\n"])
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try arriwa(["test", dir.path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(dir.path)/tests/bad.yaml:3:5: error: unknown key `sya` in step (did you mean `say`?)"))
    }

    @Test func tenantWithErrorsIsNotRun() throws {
        let dir = try demoCopy(tests: ["a.yaml": "test: t\nsteps:\n  - say: Hi\n"])
        defer { try? FileManager.default.removeItem(at: dir) }
        let main = dir.appendingPathComponent("main.flow.yaml")
        let text = try String(contentsOf: main, encoding: .utf8).replacingOccurrences(of: "next: enter_funnel", with: "next: enter_funel")
        try text.write(to: main, atomically: true, encoding: .utf8)
        let result = try arriwa(["test", dir.path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("graph.unknown-target"))
    }

    @Test func chatRendersButtonsTapsByNumberAndShowsState() throws {
        let result = try arriwa(["chat", "flows/demo-clinic"], stdin: "Hi\n1\n/status delivered\n/advance 15m\n/state\n/events\n/quit\n")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("bot> Hi! Which treatment are you interested in?\n     [1] Implants  [2] Whitening  [3] Check-up"))
        #expect(result.stdout.contains("(tapped \"Implants\")"))
        #expect(result.stdout.contains("⚑ QUALIFY_Q1 [GOOD] → capi, audiences, crm answer=implants"))
        #expect(result.stdout.contains("bot (nudge)> Just checking in"))
        #expect(result.stdout.contains("step Q2, retries 0, nudges 1"))
        #expect(result.stdout.contains("answers: Q1=implants"))
    }
}
