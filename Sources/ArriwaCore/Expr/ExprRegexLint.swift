/// A cheap static guard against patterns that backtrack catastrophically on hostile input
/// (`(a+)+`, `(\w*)*x`, `(a|aa){2,}`): a repeated group whose body itself repeats. Message text is
/// user-controlled and NSRegularExpression has no time limit, so such literal patterns are rejected.
enum ExprRegexLint {
    static func hasNestedRepetition(_ pattern: String) -> Bool {
        let chars = Array(pattern)
        // For each open group: whether its body contains a repetition so far.
        var groups: [Bool] = []
        var i = 0
        func isRepetition(at index: Int) -> Bool {
            guard index < chars.count else { return false }
            return chars[index] == "+" || chars[index] == "*" || chars[index] == "{"
        }
        func markRepetition() {
            if !groups.isEmpty { groups[groups.count - 1] = true }
        }
        while i < chars.count {
            switch chars[i] {
            case "\\":
                i += 2
                if isRepetition(at: i) { markRepetition() }
                continue
            case "[":
                // Skip a character class (a leading ']' is literal).
                i += 1
                if i < chars.count, chars[i] == "^" { i += 1 }
                if i < chars.count, chars[i] == "]" { i += 1 }
                while i < chars.count, chars[i] != "]" {
                    i += chars[i] == "\\" ? 2 : 1
                }
                i += 1
                if isRepetition(at: i) { markRepetition() }
                continue
            case "(":
                groups.append(false)
            case ")":
                let repeatsInside = groups.popLast() ?? false
                if isRepetition(at: i + 1) {
                    if repeatsInside { return true }
                    markRepetition()
                } else if repeatsInside {
                    markRepetition()
                }
            case "+", "*", "{":
                markRepetition()
            default:
                break
            }
            i += 1
        }
        return false
    }
}
