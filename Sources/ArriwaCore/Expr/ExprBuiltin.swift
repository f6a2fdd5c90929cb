/// The built-in functions.
enum ExprBuiltin: String, CaseIterable, Sendable {
    case abs, contains, `default`, duration, endsWith, formatDuration = "format_duration", has, hash, int
    case join, lower, matches, max, min, nextStep = "next_step", now, number, size, startsWith, string, trim, upper

    /// Name → builtin, for the interpreter (one hash lookup instead of comparing every raw value).
    static let byName: [String: ExprBuiltin] = Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue, $0) })

    var arity: ClosedRange<Int> {
        switch self {
        case .now: return 0...0
        case .abs, .duration, .formatDuration, .has, .hash, .int, .lower, .number, .size, .string, .trim, .upper:
            return 1...1
        case .contains, .default, .endsWith, .join, .matches, .max, .min, .nextStep, .startsWith:
            return 2...2
        }
    }

    /// Whether `x.f(...)` may be written for `f(x, ...)`.
    var allowsReceiver: Bool {
        switch self {
        case .size, .lower, .upper, .trim, .contains, .startsWith, .endsWith, .matches, .join, .string,
             .formatDuration, .hash:
            return true
        default:
            return false
        }
    }

    var signature: String {
        switch self {
        case .abs: return "abs(int|number|duration) -> same type"
        case .contains: return "contains(string, string) -> bool"
        case .default: return "default(x, fallback) -> x if it is not null (or an unknown path), else fallback"
        case .duration: return "duration(string) -> duration"
        case .endsWith: return "endsWith(string, string) -> bool"
        case .formatDuration: return "format_duration(duration) -> string"
        case .has: return "has(path) -> bool"
        case .hash: return "hash(any) -> string"
        case .int: return "int(int|number|string|duration|timestamp) -> int"
        case .join: return "join(list<string>, string) -> string"
        case .lower: return "lower(string) -> string"
        case .matches: return "matches(string, string) -> bool"
        case .max: return "max(a, b) -> the larger of two numbers, durations or timestamps"
        case .min: return "min(a, b) -> the smaller of two numbers, durations or timestamps"
        case .nextStep: return "next_step(step, answer) -> step"
        case .now: return "now() -> timestamp"
        case .number: return "number(int|number|string) -> number"
        case .size: return "size(string|list|map) -> int"
        case .startsWith: return "startsWith(string, string) -> bool"
        case .string: return "string(any) -> string"
        case .trim: return "trim(string) -> string"
        case .upper: return "upper(string) -> string"
        }
    }

    var summary: String {
        switch self {
        case .abs: return "Absolute value; abs(-9223372036854775808) is an overflow error."
        case .contains: return "True if the first string contains the second."
        case .default: return "default(session.profile_name, 'there'): the first argument unless it is null or a path that does not resolve."
        case .duration: return "Parses 500ms, 90s, 15m, 1h, 1h30m, 2d (units ms, s, m, h, d; a leading '-' negates). A literal is checked statically."
        case .endsWith: return "True if the first string ends with the second."
        case .formatDuration: return "Human text for a duration: '1h 30m', '2d', '500ms', '0s'."
        case .has: return "True if the path resolves to a non-null value; never an error. The argument must be a path."
        case .hash: return "First 16 lowercase hex characters of SHA-256 over the UTF-8 of the argument's rendered text (as in templates: null renders as ''). For idempotency keys: ${session.id}-q1-${hash(message.text)}."
        case .int: return "Converts: numbers truncate toward zero, strings must be decimal integers, durations and timestamps give milliseconds."
        case .join: return "Joins the elements with the separator."
        case .lower: return "Lowercases (locale-independent)."
        case .matches: return "True if the regular expression (NSRegularExpression syntax) matches anywhere in the string; anchor with ^ and $. A literal pattern is checked statically."
        case .max: return "The larger argument; int with number gives a number."
        case .min: return "The smaller argument; int with number gives a number."
        case .nextStep: return "The manifest step that follows `step` when the lead answered `answer` (its `next:` router): a step id, 'done' or 'reject'."
        case .now: return "The evaluation time (passed in by the engine)."
        case .number: return "Converts to a decimal number."
        case .size: return "Number of characters (grapheme clusters), list elements or map entries."
        case .startsWith: return "True if the first string starts with the second."
        case .string: return "The value's rendered text (as in templates)."
        case .trim: return "Removes leading and trailing whitespace and newlines."
        case .upper: return "Uppercases (locale-independent)."
        }
    }
}
