/// "Did you mean" suggestions by edit distance.
enum ExprSuggestion {
    /// The candidate closest to `word` (case-insensitive Levenshtein distance), if close enough.
    static func closest(to word: String, in candidates: some Sequence<String>) -> String? {
        let target = word.lowercased()
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let distance = Suggest.distance(target, candidate.lowercased())
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
}
