/// Durations as authors write them in YAML (`500ms`, `90s`, `15m`, `1h30m`, `2d`): the same
/// grammar as the expression function `duration()`, without negative values.
public enum DurationSyntax {
    /// Milliseconds, or nil when the text is not a non-negative duration.
    public static func milliseconds(_ text: String) -> Int64? {
        guard !text.hasPrefix("-"), text.count <= 64 else { return nil }
        return ExprDuration.parse(text)
    }
}
