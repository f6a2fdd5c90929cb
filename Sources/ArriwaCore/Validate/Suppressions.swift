/// `# arriwa-ignore <rule-id>[, <rule-id>…]: <reason>` comments in YAML files.
///
/// A suppression written as a trailing comment applies to its own line; a comment on a line of its
/// own applies to the next line that is neither blank nor only a comment (so several suppression
/// comments can be stacked above one line). A suppression without a reason suppresses nothing and
/// is reported as `suppress.missing-reason`; a rule id that `Rules.byID` does not know is reported
/// as `suppress.unknown-rule`.
///
/// Comment detection is line-based: a `#` counts as a comment when it starts the line or follows
/// whitespace, outside '…' and "…" strings on that line and outside `|` / `>` block scalars.
public enum Suppressions {
    /// The marker that starts a suppression comment.
    public static let marker = "arriwa-ignore"

    /// One parsed suppression comment.
    public struct Comment: Sendable, Hashable {
        /// The rule ids named, with the 1-based column of each.
        public var rules: [Located<String>]
        /// The reason after the `:`, trimmed; nil or empty when missing.
        public var reason: String?
        /// Where the `#` is.
        public var location: SourceLocation
        /// Columns from the `#` to the end of `arriwa-ignore`.
        public var markerLength: Int
        /// The line the suppression applies to, or nil when no line follows the comment.
        public var targetLine: Int?

        public var hasReason: Bool { !(reason ?? "").isEmpty }
    }

    /// Removes the diagnostics that suppression comments in `files` cover, and adds diagnostics for
    /// malformed suppression comments. The result is sorted with `Diagnostic.ordered`.
    public static func apply(_ diagnostics: [Diagnostic], files: [String: SourceFile]) -> [Diagnostic] {
        // file → line → suppressed rule ids
        var suppressed: [String: [Int: Set<String>]] = [:]
        var problems: [Diagnostic] = []
        for path in files.keys.sorted() {
            guard let file = files[path] else { continue }
            // Cheap pre-check: most files have no suppression comment at all.
            guard file.text.containsBytes(marker) else { continue }
            for comment in comments(in: file) {
                problems += check(comment)
                guard comment.hasReason, let line = comment.targetLine else { continue }
                for rule in comment.rules where Rules.byID[rule.value] != nil {
                    suppressed[file.path, default: [:]][line, default: []].insert(rule.value)
                }
            }
        }
        var result = diagnostics.filter { diagnostic in
            guard let rules = suppressed[diagnostic.location.file]?[diagnostic.location.line] else { return true }
            return !rules.contains(diagnostic.rule)
        }
        result += problems
        result.sort(by: Diagnostic.ordered)
        return result
    }

    /// The diagnostics for one malformed suppression comment (none when it is well-formed).
    static func check(_ comment: Comment) -> [Diagnostic] {
        var out: [Diagnostic] = []
        if !comment.hasReason {
            out.append(Diagnostic(
                rule: "suppress.missing-reason",
                message: "'\(marker)' needs a reason after a colon; this comment suppresses nothing",
                at: comment.location, length: comment.markerLength,
                hint: "Write `# \(marker) \(comment.rules.first?.value ?? "<rule-id>"): <why this is fine>`."))
        }
        if comment.rules.isEmpty {
            out.append(Diagnostic(
                rule: "suppress.unknown-rule",
                message: "'\(marker)' names no rule",
                at: comment.location, length: comment.markerLength,
                hint: "Name the rule ids to suppress, e.g. `# \(marker) graph.unreachable: <reason>`."))
        }
        for rule in comment.rules where Rules.byID[rule.value] == nil {
            out.append(Diagnostic(
                rule: "suppress.unknown-rule",
                message: "'\(rule.value)' is not a rule id",
                at: rule.location, length: rule.value.unicodeScalars.count,
                hint: suggestion(for: rule.value).map { "Did you mean '\($0)'?" }))
        }
        return out
    }

    /// Every `arriwa-ignore` comment of a file, in line order.
    public static func comments(in file: SourceFile) -> [Comment] {
        // Split on scalars: "\r\n" is a single Character, which a Character split on "\n" misses.
        let lines = file.text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            var scalars = Array(line)
            if scalars.last == "\r" { scalars.removeLast() }
            return scalars
        }
        var found: [Comment] = []
        // Lines waiting for their target line (a comment on its own line).
        var pending: [Int] = []
        // Indentation of the line that opened a block scalar, while inside one.
        var blockIndent: Int? = nil

        for (index, line) in lines.enumerated() {
            let number = index + 1
            let indent = line.prefix { $0 == " " || $0 == "\t" }.count
            let blank = indent == line.count
            if let open = blockIndent {
                if blank || indent > open { continue }
                blockIndent = nil
            }
            let scan = scanLine(line)
            if blank { continue }
            if scan.contentEnd > 0 {
                // A line with content: target of pending comments.
                for i in pending { found[i].targetLine = number }
                pending.removeAll()
                if scan.opensBlockScalar { blockIndent = indent }
            }
            guard let hash = scan.commentStart,
                  var comment = parse(line, hash: hash, file: file.path, line: number) else { continue }
            if scan.contentEnd > 0 {
                comment.targetLine = number
                found.append(comment)
            } else {
                found.append(comment)
                pending.append(found.count - 1)
            }
        }
        return found
    }

    private struct LineScan {
        /// Offset (in scalars) of the comment's `#`, if the line has a comment.
        var commentStart: Int?
        /// Offset just after the last non-blank scalar before the comment (0: no content).
        var contentEnd: Int
        /// The content ends with a block scalar indicator (`|`, `>-`, `|2+`, …).
        var opensBlockScalar: Bool
    }

    private static func scanLine(_ line: [Unicode.Scalar]) -> LineScan {
        var inSingle = false
        var inDouble = false
        var i = 0
        var commentStart: Int? = nil
        var contentEnd = 0
        while i < line.count {
            let c = line[i]
            if inDouble {
                if c == "\\" { i += 2; continue }
                if c == "\"" { inDouble = false }
            } else if inSingle {
                if c == "'" { inSingle = false } // '' re-opens on the next scalar
            } else if c == "#" && (i == 0 || line[i - 1] == " " || line[i - 1] == "\t") {
                commentStart = i
                break
            } else if c == "\"" || c == "'", i == 0 || quoteMayOpen(after: line[i - 1]) {
                if c == "\"" { inDouble = true } else { inSingle = true }
            }
            if c != " " && c != "\t" { contentEnd = i + 1 }
            i += 1
        }
        contentEnd = min(contentEnd, line.count)
        // Block scalar header: `|` or `>` followed only by chomping / indentation indicators.
        var opensBlock = false
        var j = contentEnd - 1
        while j >= 0, line[j] == "-" || line[j] == "+" || ("1"..."9").contains(line[j]) { j -= 1 }
        if j >= 0, line[j] == "|" || line[j] == ">" {
            opensBlock = j == 0 || line[j - 1] == " " || line[j - 1] == "\t"
        }
        return LineScan(commentStart: commentStart, contentEnd: contentEnd, opensBlockScalar: opensBlock)
    }

    /// A quote opens a quoted scalar only where a scalar can start (not inside `don't`).
    private static func quoteMayOpen(after previous: Unicode.Scalar) -> Bool {
        previous == " " || previous == "\t" || previous == "[" || previous == "{" || previous == ","
    }

    /// Parses the comment starting at `hash`, or nil when it is not a suppression comment.
    private static func parse(_ line: [Unicode.Scalar], hash: Int, file: String, line number: Int) -> Comment? {
        var i = hash + 1
        func skipSpaces() { while i < line.count, line[i] == " " || line[i] == "\t" { i += 1 } }
        skipSpaces()
        let markerScalars = Array(marker.unicodeScalars)
        guard line.count - i >= markerScalars.count,
              Array(line[i..<(i + markerScalars.count)]) == markerScalars else { return nil }
        i += markerScalars.count
        let markerLength = i - hash
        // `arriwa-ignore` must end here: `# arriwa-ignored` is not a suppression.
        if i < line.count, line[i] != " ", line[i] != "\t", line[i] != ":" { return nil }

        let colon = line[i...].firstIndex(of: ":")
        let idsEnd = colon ?? line.count
        var rules: [Located<String>] = []
        var start: Int? = nil
        func flush(_ end: Int) {
            guard let s = start else { return }
            var text = String.UnicodeScalarView()
            text.append(contentsOf: line[s..<end])
            rules.append(Located(String(text), at: SourceLocation(file: file, line: number, column: s + 1)))
            start = nil
        }
        while i < idsEnd {
            let c = line[i]
            if c == "," || c == " " || c == "\t" {
                flush(i)
            } else if start == nil {
                start = i
            }
            i += 1
        }
        flush(idsEnd)

        var reason: String? = nil
        if let colon {
            var text = String.UnicodeScalarView()
            text.append(contentsOf: line[(colon + 1)...])
            reason = String(text).trimmingSpaces
        }
        return Comment(
            rules: rules, reason: reason,
            location: SourceLocation(file: file, line: number, column: hash + 1),
            markerLength: markerLength, targetLine: nil)
    }

    /// The known rule id closest to `id`, when it is close enough to be a likely typo.
    static func suggestion(for id: String) -> String? {
        Suggest.closest(to: id, in: Rules.all.map(\.id), maxDistance: max(2, id.unicodeScalars.count / 4))
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }),
              let last = scalars.lastIndex(where: { $0 != " " && $0 != "\t" }) else { return "" }
        return String(scalars[first...last])
    }
}
