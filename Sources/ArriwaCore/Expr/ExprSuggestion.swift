/// "Did you mean" suggestions by edit distance.
enum ExprSuggestion {
    /// The candidate closest to `word` (case-insensitive Levenshtein distance), if close enough.
    static func closest(to word: String, in candidates: some Sequence<String>) -> String? {
        let target = Array(word.lowercased())
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(target, Array(candidate.lowercased()))
            let limit = Swift.max(1, Swift.min(3, Swift.max(target.count, candidate.count) / 3))
            guard distance <= limit else { continue }
            if best.map({ distance < $0.distance }) ?? true {
                best = (candidate, distance)
            }
        }
        if let best { return best.candidate }
        // A word that is a prefix of a candidate (or the reverse): 'yes' → 'yes_now'.
        let lowered = word.lowercased()
        guard lowered.count >= 2 else { return nil }
        return candidates
            .filter { $0.lowercased().hasPrefix(lowered) || lowered.hasPrefix($0.lowercased()) }
            .min { ($0.count, $0) < ($1.count, $1) }
    }

    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = Array(repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
