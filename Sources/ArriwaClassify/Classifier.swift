public import ArriwaCore

/// Something that judges a lead's answer to a manifest step. The runtime asks one outside any
/// transaction when the engine returns `.needsClassification`, then re-runs the turn with the answer.
public protocol Classifier: Sendable {
    func classify(_ request: ClassifyRequest) async throws -> Classification
}

/// The offline rules: pure, synchronous, never fails. In async code `classify(_:)` resolves to this
/// witness (so needs `try await`); the synchronous one stays available from synchronous code.
extension RulesClassifier: Classifier {
    public func classify(_ request: ClassifyRequest) async throws -> Classification {
        Self.classify(Index(request: request), text: request.input, replyID: request.replyID)
    }
}
