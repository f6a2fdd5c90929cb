import Foundation
import Testing
@testable import ArriwaCore

@Suite struct JSONFormatterTests {
    @Test func exactOutputForOneDiagnostic() throws {
        let report = ValidationReport(diagnostics: [OutputFixture.unknownKey], files: OutputFixture.files, tenants: 1)
        let text = try JSONFormatter().format(report)
        #expect(text == """
            {
              "diagnostics" : [
                {
                  "column" : 1,
                  "endColumn" : 8,
                  "file" : "acme/tenant.yaml",
                  "hint" : "did you mean 'provider'?",
                  "line" : 3,
                  "message" : "unknown key 'provder' in tenant.yaml",
                  "rule" : "schema.unknown-key",
                  "severity" : "error"
                }
              ],
              "summary" : {
                "errors" : 1,
                "files" : 2,
                "notes" : 0,
                "tenants" : 1,
                "warnings" : 0
              },
              "version" : 1
            }

            """)
    }

    @Test func decodesWithEveryField() throws {
        let text = try JSONFormatter().format(OutputFixture.report)
        let document = try JSONDecoder().decode(JSONFormatter.Document.self, from: Data(text.utf8))
        #expect(document.version == 1)
        #expect(document.summary == ValidationSummary(errors: 1, warnings: 1, notes: 1, files: 2, tenants: 1))
        #expect(document.diagnostics.map(\.rule) == ["graph.unreachable", "schema.unknown-key", "expr.constant-condition"])
        #expect(document.diagnostics.map(\.severity) == [.warning, .error, .note])
        let unreachable = try #require(document.diagnostics.first)
        #expect(unreachable.file == "acme/main.flow.yaml")
        #expect(unreachable.line == 3)
        #expect(unreachable.column == 8)
        #expect(unreachable.endColumn == 10)
        #expect(unreachable.hint == nil)
        #expect(document.diagnostics[2].message == "50% of 'a,b'\nsecond line")
    }

    @Test func hintIsNullNotMissing() throws {
        let text = try JSONFormatter().format(OutputFixture.report)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let diagnostics = try #require(object["diagnostics"] as? [[String: Any]])
        #expect(diagnostics.count == 3)
        #expect(diagnostics[0]["hint"] is NSNull)
        for entry in diagnostics {
            #expect(Set(entry.keys) == ["rule", "severity", "message", "file", "line", "column", "endColumn", "hint"])
        }
    }

    @Test func emptyReport() throws {
        let text = try JSONFormatter().format(OutputFixture.clean)
        let document = try JSONDecoder().decode(JSONFormatter.Document.self, from: Data(text.utf8))
        #expect(document.diagnostics.isEmpty)
        #expect(document.summary.files == 2)
    }
}
