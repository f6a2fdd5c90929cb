import Foundation
import Testing
@testable import ArriwaCore

/// nodes/ is generated from the Swift schema definitions and checked in. These tests fail when
/// someone changes `Sources/ArriwaCore/Schema` without regenerating.
@Suite struct CatalogDriftTests {
    /// The package root: this file is Tests/ArriwaCoreTests/Catalog/CatalogDriftTests.swift.
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()

    static let nodesDirectory = packageRoot.appendingPathComponent("nodes").path

    static let fix = "run `swift run arriwa schema` and commit the files in nodes/"

    @Test("Every generated file matches the checked-in file under nodes/",
          arguments: CatalogFiles.all().map(\.path))
    func checkedInFileMatches(path: String) throws {
        let file = try #require(CatalogFiles.all().first { $0.path == path })
        let url = URL(fileURLWithPath: Self.nodesDirectory).appendingPathComponent(path)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            Issue.record("nodes/\(path) is missing: \(Self.fix)")
            return
        }
        let checkedIn = String(data: data, encoding: .utf8)
        if checkedIn != file.contents {
            let detail = firstDifference(checkedIn ?? "", file.contents)
            Issue.record("nodes/\(path) is out of date (\(detail)): \(Self.fix)")
        }
    }

    @Test("No checked-in file under nodes/ is left over from a removed node type")
    func noStaleFiles() {
        let stale = CatalogFiles.differences(in: Self.nodesDirectory).filter { $0.kind == .stale }
        for difference in stale {
            Issue.record("nodes/\(difference.path) is no longer generated: delete it and \(Self.fix)")
        }
    }

    @Test func generationIsDeterministic() {
        #expect(CatalogFiles.all() == CatalogFiles.all())
    }

    @Test func generatedFilesHaveUniquePathsAndEndWithNewline() {
        let files = CatalogFiles.all()
        #expect(Set(files.map(\.path)).count == files.count)
        for file in files {
            #expect(file.contents.hasSuffix("\n"), "\(file.path) must end with a newline")
            #expect(!file.contents.hasSuffix("\n\n"), "\(file.path) ends with a blank line")
        }
    }

    @Test func differencesReportMissingOutdatedAndStale() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("arriwa-catalog-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let files = [
            GeneratedFile(path: "a.md", contents: "A\n"),
            GeneratedFile(path: "b.md", contents: "B\n"),
            GeneratedFile(path: "schema/c.schema.json", contents: "{}\n"),
        ]
        try Data("A\n".utf8).write(to: directory.appendingPathComponent("a.md"))
        try Data("old\n".utf8).write(to: directory.appendingPathComponent("b.md"))
        try Data("gone\n".utf8).write(to: directory.appendingPathComponent("removed.md"))
        let differences = CatalogFiles.differences(in: directory.path, files: files)
        #expect(differences == [
            CatalogDifference(path: "b.md", kind: .outdated),
            CatalogDifference(path: "schema/c.schema.json", kind: .missing),
            CatalogDifference(path: "removed.md", kind: .stale),
        ])
    }

    /// "line N" of the first differing line, to point the developer at it.
    private func firstDifference(_ old: String, _ new: String) -> String {
        let a = old.split(separator: "\n", omittingEmptySubsequences: false)
        let b = new.split(separator: "\n", omittingEmptySubsequences: false)
        for index in 0..<max(a.count, b.count) {
            let left = index < a.count ? String(a[index]) : "<end of file>"
            let right = index < b.count ? String(b[index]) : "<end of file>"
            if left != right { return "first difference at line \(index + 1): expected \"\(right.prefix(80))\"" }
        }
        return "differs"
    }
}
