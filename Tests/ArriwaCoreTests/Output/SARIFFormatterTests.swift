import Foundation
import Testing
@testable import ArriwaCore

@Suite struct SARIFFormatterTests {
    func json(_ report: ValidationReport) throws -> [String: Any] {
        let text = try SARIFFormatter().format(report)
        return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func logHeaderAndDriver() throws {
        let log = try json(OutputFixture.report)
        #expect(log["$schema"] as? String == "https://json.schemastore.org/sarif-2.1.0.json")
        #expect(log["version"] as? String == "2.1.0")
        let runs = try #require(log["runs"] as? [[String: Any]])
        #expect(runs.count == 1)
        let run = runs[0]
        #expect(run["columnKind"] as? String == "unicodeCodePoints")
        let driver = try #require((run["tool"] as? [String: Any])?["driver"] as? [String: Any])
        #expect(driver["name"] as? String == "arriwa")
        #expect(driver["version"] as? String == ArriwaCore.version)
        #expect((driver["informationUri"] as? String)?.hasPrefix("https://") == true)

        let rules = try #require(driver["rules"] as? [[String: Any]])
        #expect(rules.count == Rules.all.count)
        #expect(rules.compactMap { $0["id"] as? String } == Rules.all.map(\.id))
        let unreachable = try #require(rules.first { $0["id"] as? String == "graph.unreachable" })
        #expect((unreachable["shortDescription"] as? [String: Any])?["text"] as? String == "A node cannot be reached from the start node.")
        #expect((unreachable["help"] as? [String: Any])?["text"] as? String == "Connect the node or delete it.")
        #expect((unreachable["defaultConfiguration"] as? [String: Any])?["level"] as? String == "warning")
    }

    @Test func results() throws {
        let log = try json(OutputFixture.report)
        let run = try #require((log["runs"] as? [[String: Any]])?.first)
        let results = try #require(run["results"] as? [[String: Any]])
        #expect(results.count == 3)
        #expect(results.compactMap { $0["ruleId"] as? String } == ["graph.unreachable", "schema.unknown-key", "expr.constant-condition"])
        #expect(results.compactMap { $0["level"] as? String } == ["warning", "error", "note"])
        #expect(results[0]["ruleIndex"] as? Int == Rules.all.firstIndex { $0.id == "graph.unreachable" })

        let error = results[1]
        #expect((error["message"] as? [String: Any])?["text"] as? String
                == "unknown key 'provder' in tenant.yaml\nhint: did you mean 'provider'?")
        let location = try #require((error["locations"] as? [[String: Any]])?.first)
        let physical = try #require(location["physicalLocation"] as? [String: Any])
        #expect((physical["artifactLocation"] as? [String: Any])?["uri"] as? String == "acme/tenant.yaml")
        let region = try #require(physical["region"] as? [String: Any])
        #expect(region["startLine"] as? Int == 3)
        #expect(region["startColumn"] as? Int == 1)
        #expect(region["endColumn"] as? Int == 8)
    }

    @Test func decodesIntoTheCodableModel() throws {
        let text = try SARIFFormatter().format(OutputFixture.report)
        let log = try JSONDecoder().decode(SARIFFormatter.Log.self, from: Data(text.utf8))
        #expect(log == SARIFFormatter().log(OutputFixture.report))
        #expect(log.runs[0].results[2].locations[0].physicalLocation.artifactLocation.uri == "x:y/odd,name.flow.yaml")
    }

    @Test func uris() {
        #expect(SARIFFormatter.uri(for: "tenants/acme/main.flow.yaml") == "tenants/acme/main.flow.yaml")
        #expect(SARIFFormatter.uri(for: "my tenants/a#b.yaml") == "my%20tenants/a%23b.yaml")
        #expect(SARIFFormatter.uri(for: "/srv/acme/tenant.yaml") == "file:///srv/acme/tenant.yaml")
    }
}
