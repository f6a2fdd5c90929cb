public import ArriwaCore

/// The structured-output contract sent as `response_format`: every field required, nothing else
/// allowed, and `answer_parsed` limited to the step's option ids (or null) when it has options.
public enum ClassificationSchema {
    public static let name = "classification"

    public static func schema(for request: ClassifyRequest) -> JSONValue {
        var answer: [(key: String, value: JSONValue)] = [("type", .array([.string("string"), .string("null")]))]
        if !request.options.isEmpty {
            answer.append(("enum", .array(request.options.map { .string($0.id) } + [.null])))
        }
        return .object([
            ("type", .string("object")),
            ("properties", .object([
                ("validity", .object([("type", .string("string")),
                                      ("enum", .array(Classification.Validity.allCases.map { .string($0.rawValue) }))])),
                ("confidence", .object([("type", .string("number"))])),
                ("answer_parsed", .object(answer)),
                ("quality_score", .object([("type", .string("number"))])),
                ("offscript", .object([("type", .string("boolean"))])),
            ])),
            ("required", .array(["validity", "confidence", "answer_parsed", "quality_score", "offscript"].map { .string($0) })),
            ("additionalProperties", .bool(false)),
        ])
    }

    /// `{"type": "json_schema", "json_schema": {"name": "classification", "strict": true, "schema": …}}`
    public static func responseFormat(for request: ClassifyRequest) -> JSONValue {
        .object([
            ("type", .string("json_schema")),
            ("json_schema", .object([
                ("name", .string(name)),
                ("strict", .bool(true)),
                ("schema", schema(for: request)),
            ])),
        ])
    }
}
