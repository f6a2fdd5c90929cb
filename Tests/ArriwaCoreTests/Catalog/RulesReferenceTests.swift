import Testing
@testable import ArriwaCore

@Suite struct RulesReferenceTests {
    @Test func rulesPageIsPartOfTheCatalog() throws {
        let file = try #require(CatalogFiles.all().first { $0.path == "rules.md" })
        #expect(file.contents == RulesReferenceGenerator.page())
    }

    @Test func everyRuleHasASectionWithSeveritySummaryAndFix() {
        let page = RulesReferenceGenerator.page()
        for rule in Rules.all {
            let section = "### `\(rule.id)`\n\nSeverity: **\(rule.severity.rawValue)**\n\n\(rule.summary)\n\nFix: \(rule.help)\n"
            #expect(page.contains(section), "rules.md lacks the section of \(rule.id)")
            let anchor = NodeReferenceGenerator.Page.anchor("`\(rule.id)`")
            #expect(page.contains("| [`\(rule.id)`](#\(anchor)) | \(rule.severity.rawValue) |"), "index row of \(rule.id)")
        }
    }

    @Test func familiesFollowTheOrderOfRulesAll() {
        let groups = RulesReferenceGenerator.grouped()
        var families: [String] = []
        for rule in Rules.all where !families.contains(RulesReferenceGenerator.family(of: rule.id)) {
            families.append(RulesReferenceGenerator.family(of: rule.id))
        }
        #expect(groups.map(\.family) == families)
        for group in groups {
            #expect(group.rules.map(\.id) == Rules.all.filter { RulesReferenceGenerator.family(of: $0.id) == group.family }.map(\.id))
        }
        #expect(Set(groups.map(\.family)).count == groups.count)
        for group in groups {
            #expect(RulesReferenceGenerator.families[group.family] != nil, "family \(group.family) has no title")
            for rule in group.rules { #expect(rule.id.hasPrefix(group.family + ".")) }
        }
        let page = RulesReferenceGenerator.page()
        let positions = groups.compactMap { page.range(of: "\n## " + RulesReferenceGenerator.title(ofFamily: $0.family) + "\n")?.lowerBound }
        #expect(positions.count == groups.count && positions == positions.sorted())
    }

    @Test func anchorsAreUnique() {
        let anchors = Rules.all.map { NodeReferenceGenerator.Page.anchor("`\($0.id)`") }
        #expect(Set(anchors).count == anchors.count)
    }

    @Test func introCoversFailOnSuppressionsAndFormats() {
        let page = RulesReferenceGenerator.page()
        for needle in ["--fail-on", "`never`", "# arriwa-ignore", "suppress.missing-reason", "--format sarif", "--format github", "--format json"] {
            #expect(page.contains(needle), "rules.md intro lacks \(needle)")
        }
        #expect(page.hasPrefix(RulesReferenceGenerator.banner + "\n"))
        #expect(page.hasSuffix("\n") && !page.hasSuffix("\n\n"))
    }

    @Test func unknownFamiliesStillGetASection() {
        let rules = [Rule("zz.example", .note, "An example.", help: "Do nothing.")]
        let page = RulesReferenceGenerator.page(rules)
        #expect(page.contains("## zz (`zz.*`)\n"))
        #expect(page.contains("Severity: **note**"))
    }
}
