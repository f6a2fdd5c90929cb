/// Names and signatures of the built-in functions, for documentation and hints.
public enum ExprFunctions {
    /// All function names, sorted.
    public static let names: [String] = ExprBuiltin.allCases.map(\.rawValue).sorted()

    /// `size(string|list|map) -> int — Number of characters ...`, or nil for an unknown name.
    public static func signatureDescription(_ name: String) -> String? {
        guard let builtin = ExprBuiltin(rawValue: name) else { return nil }
        var text = builtin.signature + " — " + builtin.summary
        if builtin.allowsReceiver { text += " Also callable as a method: x.\(builtin.rawValue)(...)." }
        return text
    }

    /// Common names from other languages, mapped to ours.
    static let aliases: [String: String] = [
        "len": "size", "length": "size", "count": "size",
        "lowercase": "lower", "toLowerCase": "lower", "tolower": "lower",
        "uppercase": "upper", "toUpperCase": "upper", "toupper": "upper",
        "strip": "trim", "includes": "contains", "regex": "matches", "match": "matches",
        "str": "string", "float": "number", "double": "number",
        "coalesce": "default", "ifnull": "default", "exists": "has", "sha256": "hash",
    ]
}
