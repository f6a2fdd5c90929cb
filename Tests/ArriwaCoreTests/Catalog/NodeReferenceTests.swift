import Testing
@testable import ArriwaCore

@Suite struct NodeReferenceTests {
    @Test func onePagePerNodeTypeNamedAfterTheType() {
        let paths = Set(CatalogFiles.all().map(\.path))
        for name in NodeCatalog.typeNames {
            #expect(paths.contains("\(name).md"), "missing page for \(name)")
        }
        #expect(paths.isSuperset(of: ["README.md", "tenant.md", "manifest.md", "flow.md",
                                      "schema/tenant.schema.json", "schema/manifest.schema.json", "schema/flow.schema.json"]))
    }

    @Test func waSendPageHasNestedTablesOutcomesAndExample() throws {
        let spec = try #require(NodeCatalog.spec(for: "wa.send"))
        let page = NodeReferenceGenerator.nodePage(spec)
        #expect(page.contains("# `wa.send`\n"))
        #expect(page.contains("| Key | Type | Required | Default | Description |"))
        #expect(page.contains("| `id` | identifier | yes |"))
        #expect(page.contains("| `say` | one of `question`, `clarify`, `reprompt` |  | `question` |"))
        for section in ["### `buttons[]`", "### `list`", "### `list.sections[]`", "### `list.sections[].rows[]`", "### `template`"] {
            #expect(page.contains(section + "\n"), "missing \(section)")
        }
        #expect(page.contains("See [`list.sections[].rows[]`](#listsectionsrows)."))
        #expect(page.contains("## Outcomes"))
        for outcome in spec.outcomes {
            #expect(page.contains("| `\(outcome.name)` | \(outcome.summary) |"))
        }
        #expect(page.contains("```yaml\n" + spec.example + "\n```\n"))
        // Nested sections come in reading order.
        let order = ["### `buttons[]`", "### `list`\n", "### `list.sections[]`", "### `list.sections[].rows[]`", "## Outcomes"]
        let positions = order.compactMap { page.range(of: $0)?.lowerBound }
        #expect(positions.count == order.count && positions == positions.sorted())
    }

    @Test func everyPageShowsEveryKey() throws {
        for spec in NodeCatalog.all {
            let page = NodeReferenceGenerator.nodePage(spec)
            for property in spec.schema.properties {
                #expect(page.contains("| `\(property.name)` |"), "\(spec.name) page lacks \(property.name)")
            }
            if spec.outcomes.isEmpty { #expect(page.contains("None: the flow ends here.")) }
        }
    }

    @Test func tenantAndManifestPagesDocumentNestedObjects() {
        let tenant = NodeReferenceGenerator.tenantPage()
        #expect(tenant.contains("# `tenant.yaml`"))
        #expect(tenant.contains("### `provider`"))
        #expect(tenant.contains("### `audiences.<name>`"))
        #expect(tenant.contains("### `crm.fields.<name>`"))
        #expect(tenant.contains("| `valid` | number |  | `0.65` |"))
        #expect(tenant.contains("$schema=../../nodes/schema/tenant.schema.json"))
        let manifest = NodeReferenceGenerator.manifestPage()
        #expect(manifest.contains("### `steps[]`"))
        #expect(manifest.contains("### `steps[].options[]`"))
        #expect(manifest.contains("### `steps[].next`"))
    }

    @Test func indexListsTypesAndEditorSetup() {
        let index = NodeReferenceGenerator.index()
        for spec in NodeCatalog.all {
            #expect(index.contains("| [`\(spec.name)`](\(spec.name).md) |"))
        }
        #expect(index.contains("```yaml\n# yaml-language-server: $schema=../../nodes/schema/flow.schema.json\n```"))
        #expect(index.contains("\"yaml.schemas\": {"))
        #expect(index.contains("\"./nodes/schema/tenant.schema.json\": \"**/tenant.yaml\""))
        #expect(index.contains("\"./nodes/schema/manifest.schema.json\": \"**/manifest.yaml\""))
        #expect(index.contains("\"./nodes/schema/flow.schema.json\": \"**/*.flow.yaml\""))
    }

    @Test func tableCellsEscapePipesAndLineBreaks() {
        #expect(NodeReferenceGenerator.cell("trash|noise\nnext") == "trash\\|noise<br>next")
        #expect(NodeReferenceGenerator.code("a|b") == "`a\\|b`")
        #expect(NodeReferenceGenerator.code("x `y`") == "`` x `y` ``")
        let emit = NodeCatalog.spec(for: "emit").map(NodeReferenceGenerator.nodePage) ?? ""
        #expect(!emit.contains("trash|noise"))
    }

    @Test func typesInWords() {
        #expect(NodeReferenceGenerator.words(.localizedText) == "text with `${…}`, or one per language")
        #expect(NodeReferenceGenerator.words(.localizedList) == "list of strings, or one per language")
        #expect(NodeReferenceGenerator.words(.array(.string(.identifier), minItems: 1, maxItems: 3)) == "list of identifiers (1–3)")
        #expect(NodeReferenceGenerator.words(.integer(min: 0)) == "integer ≥ 0")
        #expect(NodeReferenceGenerator.words(.map(key: .identifier, value: .string(.template))) == "mapping of identifier → text with `${…}`")
    }

    @Test func githubAnchors() {
        #expect(NodeReferenceGenerator.Page.anchor("`list.sections[].rows[]`") == "listsectionsrows")
        #expect(NodeReferenceGenerator.Page.anchor("Node types") == "node-types")
        #expect(NodeReferenceGenerator.Page.anchor("`audiences.<name>`") == "audiencesname")
    }
}
