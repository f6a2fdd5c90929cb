public struct EvaluationContext: Sendable {
    public var resolver: any ValueResolver
    /// Unix milliseconds returned by `now()`; the evaluator never reads the clock.
    public var now: Int64
    /// Work units: one per node visited, plus one per 1,024 characters (or list elements) produced.
    public var budget: Int

    public init(resolver: any ValueResolver, now: Int64, budget: Int = 10_000) {
        self.resolver = resolver
        self.now = now
        self.budget = budget
    }
}
