import Foundation
import Testing
@testable import ArriwaCore

@Suite struct SuppressionTests {
    static let path = "acme/tenant.yaml"

    func file(_ text: String) -> [String: SourceFile] {
        [Self.path: SourceFile(path: Self.path, text: text)]
    }

    func finding(_ rule: String, line: Int, column: Int = 1) -> Diagnostic {
        Diagnostic(rule: rule, message: "finding", at: SourceLocation(file: Self.path, line: line, column: column))
    }

    @Test func trailingCommentSuppressesItsOwnLine() {
        let files = file("""
            tenant: acme
            provder: x # arriwa-ignore schema.unknown-key: migrating next sprint
            other: y
            """)
        let kept = finding("schema.type", line: 2)
        let result = Suppressions.apply([finding("schema.unknown-key", line: 2), kept, finding("schema.unknown-key", line: 3)], files: files)
        #expect(result == [kept, finding("schema.unknown-key", line: 3)])
    }

    @Test func commentOnItsOwnLineSuppressesTheNextLine() {
        let files = file("""
            tenant: acme
              # arriwa-ignore schema.unknown-key, schema.type: legacy key kept for the importer
              # a plain comment in between

            provder: x
            next: y
            """)
        let result = Suppressions.apply(
            [finding("schema.unknown-key", line: 5), finding("schema.type", line: 5, column: 10), finding("schema.type", line: 6)],
            files: files)
        #expect(result == [finding("schema.type", line: 6)])
    }

    @Test func stackedCommentsAllApply() {
        let files = file("""
            # arriwa-ignore schema.unknown-key: one
            # arriwa-ignore schema.type: two
            provder: x
            """)
        #expect(Suppressions.apply([finding("schema.unknown-key", line: 3), finding("schema.type", line: 3)], files: files).isEmpty)
    }

    @Test func missingReasonDoesNotSuppressAndIsReportedAtTheComment() throws {
        let files = file("""
            tenant: acme
            provder: x  # arriwa-ignore schema.unknown-key
            """)
        let original = finding("schema.unknown-key", line: 2)
        let result = Suppressions.apply([original], files: files)
        #expect(result.count == 2)
        #expect(result.contains(original))
        let problem = try #require(result.first { $0.rule == "suppress.missing-reason" })
        #expect(problem.location == SourceLocation(file: Self.path, line: 2, column: 13))
        #expect(problem.severity == .error)
        #expect(problem.length == "# arriwa-ignore".count)
    }

    @Test func emptyReasonAfterTheColonIsMissing() {
        let files = file("""
            \t# arriwa-ignore schema.unknown-key:   \("")
            provder: x
            """)
        let result = Suppressions.apply([finding("schema.unknown-key", line: 2)], files: files)
        #expect(result.map(\.rule) == ["suppress.missing-reason", "schema.unknown-key"])
        #expect(result[0].location == SourceLocation(file: Self.path, line: 1, column: 2))
    }

    @Test func unknownRuleIsReportedAtTheIdAndOthersStillApply() {
        let files = file("""
            # arriwa-ignore schema.unknwn-key, graph.unreachable: kept on purpose
            - id: orphan
            """)
        let result = Suppressions.apply([finding("graph.unreachable", line: 2)], files: files)
        #expect(result.count == 1)
        let problem = result[0]
        #expect(problem.rule == "suppress.unknown-rule")
        #expect(problem.severity == .warning)
        #expect(problem.location == SourceLocation(file: Self.path, line: 1, column: 17))
        #expect(problem.length == "schema.unknwn-key".count)
        #expect(problem.hint == "Did you mean 'schema.unknown-key'?")
    }

    @Test func commentWithoutRuleIds() {
        let files = file("# arriwa-ignore: no ids\nkey: x\n")
        let result = Suppressions.apply([finding("schema.type", line: 2)], files: files)
        #expect(result.map(\.rule) == ["suppress.unknown-rule", "schema.type"])
        #expect(result[0].location.column == 1)
    }

    @Test func hashInsideQuotesIsNotAComment() {
        let files = file("""
            a: "call # arriwa-ignore schema.type: not a comment"
            b: 'call # arriwa-ignore schema.type: not a comment either'
            c: "it's \\" # arriwa-ignore schema.type: still in the string"
            d: don't # arriwa-ignore schema.type: a real comment after an apostrophe
            e: 'it''s' # arriwa-ignore schema.type: a real comment after an escaped quote
            f: a#b # arriwa-ignore schema.type: '#' needs a space before it to start a comment
            """)
        let all = (1...6).map { finding("schema.type", line: $0) }
        #expect(Suppressions.apply(all, files: files) == Array(all[0..<3]))
    }

    @Test func commentsInsideBlockScalarsAreText() {
        let files = file("""
            text: |
              # arriwa-ignore schema.type: this is message text

              more text
            next: x
            other: >-
              # arriwa-ignore schema.type: folded text too
            last: y
            """)
        let all = [finding("schema.type", line: 3), finding("schema.type", line: 5), finding("schema.type", line: 8)]
        #expect(Suppressions.apply(all, files: files) == all)
    }

    @Test func similarWordsAreNotSuppressions() {
        let files = file("# arriwa-ignored schema.type: nope\n# xarriwa-ignore schema.type: nope\nkey: x\n")
        let all = [finding("schema.type", line: 3)]
        #expect(Suppressions.apply(all, files: files) == all)
    }

    @Test func diagnosticsOfOtherFilesPassThrough() {
        let elsewhere = Diagnostic(rule: "schema.type", message: "m", at: SourceLocation(file: "other.yaml", line: 1, column: 1))
        let files = file("# arriwa-ignore schema.type: here only\nkey: x\n")
        let moved = Diagnostic(rule: "schema.type", message: "m", at: SourceLocation(file: "other.yaml", line: 2, column: 1))
        #expect(Suppressions.apply([elsewhere, moved], files: files) == [elsewhere, moved])
    }

    @Test func parsesCommentDetails() throws {
        let source = SourceFile(path: "f.yaml", text: "a: 1\nb: 2 #arriwa-ignore  graph.dead-end ,graph.unreachable :  because  \n")
        let comments = Suppressions.comments(in: source)
        let comment = try #require(comments.first)
        #expect(comments.count == 1)
        #expect(comment.rules.map(\.value) == ["graph.dead-end", "graph.unreachable"])
        #expect(comment.rules.map(\.location.column) == [22, 38])
        #expect(comment.reason == "because")
        #expect(comment.location == SourceLocation(file: "f.yaml", line: 2, column: 6))
        #expect(comment.targetLine == 2)
    }

    @Test func suppressionsApplyThroughAValidationRun() async throws {
        let root = try ValidateTestTree()
        try root.write("acme/tenant.yaml", """
            tenant: acme
            languages: [en]
            provider: { kind: fake }
            # arriwa-ignore schema.unknown-key: read by the legacy importer
            legacy_field: 1
            other_field: 2 # arriwa-ignore schema.unknown-key
            """)
        let report = try await ValidationRun.run(paths: [root.path("acme")])
        let rules = report.diagnostics.map(\.rule)
        #expect(rules.contains("suppress.missing-reason"))
        #expect(report.diagnostics.filter { $0.rule == "schema.unknown-key" }.map(\.location.line) == [6])
    }
}

/// A temporary directory removed when the value is deallocated.
final class ValidateTestTree: Sendable {
    let root: String

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("arriwa-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func path(_ relative: String) -> String { relative.isEmpty ? root : root + "/" + relative }

    func write(_ relative: String, _ text: String) throws {
        let full = path(relative)
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: full))
    }

    func mkdir(_ relative: String) throws {
        try FileManager.default.createDirectory(atPath: path(relative), withIntermediateDirectories: true)
    }
}

@Suite struct SuppressionLineEndingTests {
    @Test func crlfFilesWork() {
        let path = "crlf.yaml"
        let files = [path: SourceFile(path: path, text: "a: 1\r\n# arriwa-ignore schema.type: windows file\r\nb: 2\r\nc: 3 # arriwa-ignore schema.type\r\n")]
        let on3 = Diagnostic(rule: "schema.type", message: "m", at: SourceLocation(file: path, line: 3, column: 4))
        let on4 = Diagnostic(rule: "schema.type", message: "m", at: SourceLocation(file: path, line: 4, column: 4))
        let result = Suppressions.apply([on3, on4], files: files)
        #expect(result.map(\.rule) == ["schema.type", "suppress.missing-reason"])
        #expect(result.last?.location == SourceLocation(file: path, line: 4, column: 6))
    }
}
