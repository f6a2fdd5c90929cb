public import ArriwaCore
public import Logging

/// The production order: rules first; the model only when the rules are not confident (and the
/// tenant's breaker is closed); the rules' answer when the model fails. Never throws.
public struct ClassifierChain: Classifier {
    public struct Configuration: Sendable, Hashable {
        /// A rules answer is final when it is valid with at least this confidence.
        public var validThreshold: Double
        /// Below this confidence an answer is noise.
        public var noiseThreshold: Double

        public init(validThreshold: Double = 0.65, noiseThreshold: Double = 0.30) {
            self.validThreshold = validThreshold
            self.noiseThreshold = noiseThreshold
        }
    }

    public var configuration: Configuration
    let rules: RulesClassifier
    let model: (any Classifier)?
    let breaker: CircuitBreaker?
    let logger: Logger

    /// - Parameters:
    ///   - model: asked when the rules are not confident; nil means rules only.
    ///   - breaker: per-tenant; nil calls the model every time.
    public init(configuration: Configuration = Configuration(), model: (any Classifier)? = nil,
                breaker: CircuitBreaker? = CircuitBreaker(), logger: Logger = Logger(label: "arriwa.classify.chain")) {
        self.configuration = configuration
        self.rules = RulesClassifier()
        self.model = model
        self.breaker = breaker
        self.logger = logger
    }

    public func classify(_ request: ClassifyRequest) async -> Classification {
        let rulesResult = request.rules ?? RulesClassifier.classify(RulesClassifier.Index(request: request),
                                                                    text: request.input, replyID: request.replyID)
        guard let model, needsModel(request, rules: rulesResult) else { return rulesResult }
        if let breaker, await !breaker.allowRequest(for: request.tenant) {
            logger.debug("breaker open, keeping the rules' answer", metadata: metadata(request))
            return annotated(rulesResult, "breaker open")
        }
        do {
            let result = try await model.classify(request)
            await breaker?.recordSuccess(for: request.tenant)
            return result
        } catch {
            await breaker?.recordFailure(for: request.tenant)
            let code = (error as? ClassifierError)?.code.description ?? "error"
            var details = metadata(request)
            details["code"] = "\(code)"
            details["error"] = "\(error)"
            logger.warning("model classifier failed, keeping the rules' answer", metadata: details)
            return annotated(rulesResult, "model failed: \(code)")
        }
    }

    /// Mirrors the engine: mode `rules` never asks; a confident valid rules answer is final (in mode
    /// `llm` only a certain one, i.e. a tapped reply); empty input has nothing to ask about.
    func needsModel(_ request: ClassifyRequest, rules: Classification) -> Bool {
        if request.mode == "rules" { return false }
        if TextNormalizer.normalize(request.input).isEmpty { return false }
        let confident = rules.outcome(valid: configuration.validThreshold, noise: configuration.noiseThreshold) == .valid
        if request.mode == "llm" { return !(confident && rules.confidence >= 1.0) }
        return !confident
    }

    private func annotated(_ result: Classification, _ note: String) -> Classification {
        var result = result
        result.source = "\(result.source) (\(note))"
        return result
    }

    private func metadata(_ request: ClassifyRequest) -> Logger.Metadata {
        ["tenant": "\(request.tenant)", "session": "\(request.sessionID)", "step": "\(request.stepID)"]
    }
}
