import Foundation
import Testing
@testable import ArriwaCore

@Suite struct JSONSchemaTests {
    /// The rendered document parsed back with Foundation, as an editor would read it.
    static func parsed(_ value: JSONValue) throws -> [String: Any] {
        let data = Data(value.rendered().utf8)
        let object = try JSONSerialization.jsonObject(with: data)
        return try #require(object as? [String: Any])
    }

    static func dict(_ any: Any?) throws -> [String: Any] { try #require(any as? [String: Any]) }

    @Test func allThreeSchemasParseAsDraft07() throws {
        for document in [JSONSchemaGenerator.tenant(), JSONSchemaGenerator.manifest(), JSONSchemaGenerator.flow()] {
            let json = try Self.parsed(document)
            #expect(json["$schema"] as? String == "http://json-schema.org/draft-07/schema#")
            #expect(json["type"] as? String == "object")
            #expect(json["additionalProperties"] as? Bool == false)
            #expect(try Self.dict(json["patternProperties"]).keys.sorted() == ["^x-"])
        }
    }

    @Test func flowSchemaHasADefinitionPerNodeType() throws {
        let json = try Self.parsed(JSONSchemaGenerator.flow())
        let definitions = try Self.dict(json["definitions"])
        for name in NodeCatalog.typeNames {
            let definition = try Self.dict(definitions["node.\(name)"])
            #expect(definition["additionalProperties"] as? Bool == false, "node.\(name)")
            let properties = try Self.dict(definition["properties"])
            let type = try Self.dict(properties["type"])
            #expect(type["enum"] as? [String] == [name])
            #expect((definition["required"] as? [String])?.starts(with: ["id", "type"]) == true)
        }
        #expect(definitions.count == NodeCatalog.all.count + 1)
    }

    @Test func flowNodeDispatchesOnTypeWithAnEnumOfAllTypes() throws {
        let json = try Self.parsed(JSONSchemaGenerator.flow())
        let properties = try Self.dict(json["properties"])
        let nodes = try Self.dict(properties["nodes"])
        #expect(try Self.dict(nodes["items"])["$ref"] as? String == "#/definitions/flowNode")
        let flowNode = try Self.dict(try Self.dict(json["definitions"])["flowNode"])
        #expect(flowNode["required"] as? [String] == ["id", "type"])
        #expect(flowNode["additionalProperties"] == nil, "node keys are checked by the per-type definition")
        let type = try Self.dict(try Self.dict(flowNode["properties"])["type"])
        #expect(type["enum"] as? [String] == NodeCatalog.typeNames)
        let allOf = try #require(flowNode["allOf"] as? [[String: Any]])
        #expect(allOf.count == NodeCatalog.all.count)
        for (rule, name) in zip(allOf, NodeCatalog.typeNames) {
            let condition = try Self.dict(try Self.dict(try Self.dict(rule["if"])["properties"])["type"])
            #expect(condition["const"] as? String == name)
            #expect(try Self.dict(rule["then"])["$ref"] as? String == "#/definitions/node.\(name)")
        }
    }

    @Test func waSendButtonsFollowTheSwiftSchema() throws {
        let spec = try #require(NodeCatalog.spec(for: "wa.send"))
        let property = try #require(spec.schema.property("buttons"))
        guard case .array(let item, let minItems, let maxItems) = property.schema, case .object(let button) = item else {
            Issue.record("wa.send buttons is expected to be a list of objects")
            return
        }
        let json = try Self.parsed(JSONSchemaGenerator.flow())
        let definition = try Self.dict(try Self.dict(json["definitions"])["node.wa.send"])
        let buttons = try Self.dict(try Self.dict(definition["properties"])["buttons"])
        #expect(buttons["type"] as? String == "array")
        #expect(buttons["minItems"] as? Int == minItems)
        #expect(buttons["maxItems"] as? Int == maxItems)
        #expect((buttons["description"] as? String)?.hasPrefix(property.summary) == true)
        let items = try Self.dict(buttons["items"])
        #expect(items["additionalProperties"] as? Bool == false)
        #expect(items["required"] as? [String] == button.properties.filter(\.required).map(\.name))
        #expect(try Self.dict(items["properties"]).keys.sorted() == button.properties.map(\.name).sorted())
    }

    @Test func stringFormatsMapToEnumsAndPatterns() throws {
        let json = try Self.parsed(JSONSchemaGenerator.tenant())
        let properties = try Self.dict(json["properties"])
        let provider = try Self.dict(try Self.dict(properties["provider"])["properties"])
        let kind = try Self.dict(provider["kind"])
        #expect(kind["type"] as? String == "string")
        #expect(kind["enum"] as? [String] == ["cloud_api", "gupshup", "evolution", "fake"])
        #expect(try Self.dict(provider["access_token_env"])["pattern"] as? String == JSONSchemaPatterns.envVar)
        #expect(try Self.dict(properties["tenant"])["pattern"] as? String == JSONSchemaPatterns.identifier)
        let languages = try Self.dict(properties["languages"])
        #expect(languages["minItems"] as? Int == 1)
        #expect(try Self.dict(languages["items"])["pattern"] as? String == JSONSchemaPatterns.language)
        #expect(json["required"] as? [String] == FileSchemas.tenant.properties.filter(\.required).map(\.name))
        // A Cloud API phone number id is often written unquoted: a YAML integer Arriwa reads as text.
        #expect(try Self.dict(provider["phone_number_id"])["type"] as? [String] == ["string", "number", "boolean"])
    }

    @Test func descriptionsCarryDefaultsAndPlainDefaultsAreEmitted() throws {
        let json = try Self.parsed(JSONSchemaGenerator.tenant())
        let thresholds = try Self.dict(try Self.dict(json["properties"])["thresholds"])
        let valid = try Self.dict(try Self.dict(thresholds["properties"])["valid"])
        #expect(valid["description"] as? String == "Confidence at or above which an answer is valid.\n\nDefault: 0.65")
        #expect(valid["default"] as? Double == 0.65)
        let limits = try Self.dict(try Self.dict(try Self.dict(json["properties"])["limits"])["properties"])
        let timeout = try Self.dict(limits["step_timeout"])
        #expect(timeout["default"] as? String == "30m")
        #expect(timeout["pattern"] as? String == JSONSchemaPatterns.duration)
        #expect(try Self.dict(limits["reprompts"])["minimum"] as? Int == 0)
    }

    @Test func mapsAndAlternatives() throws {
        // Localized text: a string or a mapping per language; kinds never overlap, so oneOf.
        let text = try Self.parsed(JSONSchemaGenerator.schema(.localizedText))
        let alternatives = try #require(text["oneOf"] as? [[String: Any]])
        #expect(alternatives.count == 2)
        #expect(try Self.dict(alternatives[1]["propertyNames"])["pattern"] as? String == JSONSchemaPatterns.language)
        #expect(try Self.dict(alternatives[1]["additionalProperties"])["type"] as? [String] == ["string", "number", "boolean"])
        // An integer or free text overlap (12345 is both): anyOf, or JSON Schema rejects 12345.
        let id = try Self.parsed(JSONSchemaGenerator.schema(.oneOf([.integer(), .string(.text)])))
        #expect(id["oneOf"] == nil)
        #expect((id["anyOf"] as? [Any])?.count == 2)
    }

    // MARK: Regular expressions equal to the Swift matchers

    static func matches(_ pattern: String, _ text: String) throws -> Bool {
        let regex = try NSRegularExpression(pattern: pattern)
        return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    static let durationCases = [
        "15m", "1h30m", "2d", "90s", "500ms", "0s", "1d2h3m4s5ms", "10m10m",
        "15 minutes", "", "m", "15", "1.5h", "15M", " 15m", "15m ", "-1m", "1h30", "ms", "1w", "1mss", "٣m", "1s2",
    ]

    @Test(arguments: durationCases)
    func durationPatternAgreesWithDurationSyntax(_ text: String) throws {
        #expect(try Self.matches(JSONSchemaPatterns.duration, text) == (DurationSyntax.milliseconds(text) != nil), "\"\(text)\"")
    }

    @Test func durationPatternExamples() throws {
        for good in ["15m", "1h30m", "2d"] { #expect(try Self.matches(JSONSchemaPatterns.duration, good)) }
        #expect(try !Self.matches(JSONSchemaPatterns.duration, "15 minutes"))
    }

    @Test(arguments: ["Q1", "_x", "wait_answer", "a.b-c", "ask", "1abc", "-a", "", "a b", "é", "a/b", "x:y"])
    func identifierPatternAgrees(_ text: String) throws {
        #expect(try Self.matches(JSONSchemaPatterns.identifier, text) == Patterns.isIdentifier(text), "\"\(text)\"")
    }

    @Test(arguments: ["WA_TOKEN", "_X", "A1", "wa_token", "1A", "", "A-B", "A B"])
    func envVarPatternAgrees(_ text: String) throws {
        #expect(try Self.matches(JSONSchemaPatterns.envVar, text) == Patterns.isEnvVar(text), "\"\(text)\"")
    }

    @Test(arguments: ["1.0.0", "0.1.0", "10.20.30", "1.0.0-beta.1", "1.0.0-rc-1", "01.0.0", "1.0", "1.0.0.0", "1.0.0-", "v1.0.0", "1.0.0+build", "", "1..0"])
    func semverPatternAgrees(_ text: String) throws {
        #expect(try Self.matches(JSONSchemaPatterns.semver, text) == Patterns.isSemver(text), "\"\(text)\"")
    }

    @Test(arguments: ["en", "ru", "pt-BR", "zh-Hant-TW", "fil", "EN", "e", "engl", "pt_BR", "pt-", "pt-B", "", "en-123456789"])
    func languagePatternAgrees(_ text: String) throws {
        #expect(try Self.matches(JSONSchemaPatterns.language, text) == Patterns.isLanguage(text), "\"\(text)\"")
    }

    // MARK: JSONValue

    @Test func jsonValueEscapesAndKeepsOrder() throws {
        let value: JSONValue = .object([
            ("z", .string("quote \" backslash \\ newline \n tab \t bell \u{07} ≤ ✓")),
            ("a", .array([.int(1), .double(0.65), .double(2), .bool(true), .null])),
            ("empty", .object([])),
        ])
        let text = value.rendered()
        #expect(text == """
        {
          "z": "quote \\" backslash \\\\ newline \\n tab \\t bell \\u0007 ≤ ✓",
          "a": [
            1,
            0.65,
            2,
            true,
            null
          ],
          "empty": {}
        }
        """)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(parsed["z"] as? String == "quote \" backslash \\ newline \n tab \t bell \u{07} ≤ ✓")
    }
}
