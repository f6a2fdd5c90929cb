public import ArriwaCore
public import AsyncHTTPClient
public import Logging

/// A classifier backed by an OpenAI-compatible chat-completions endpoint (OpenAI, Azure-style
/// gateways, vLLM, Ollama, ...), asking for structured output that follows `ClassificationSchema`.
/// The main model is asked first; on a timeout, 429, 5xx or an off-schema answer the fallback model
/// (when configured) is asked once. Both failing throws a `ClassifierError`.
public struct OpenAIClassifier: Classifier {
    public var configuration: Configuration
    let httpClient: HTTPClient
    let logger: Logger

    /// The caller owns `httpClient` and shuts it down.
    public init(configuration: Configuration, httpClient: HTTPClient,
                logger: Logger = Logger(label: "arriwa.classify.openai")) {
        self.configuration = configuration
        self.httpClient = httpClient
        self.logger = logger
    }

    public func classify(_ request: ClassifyRequest) async throws -> Classification {
        let primary = configuration.model
        do {
            return try await classify(request, model: primary)
        } catch {
            guard error.code.allowsFallback, let fallback = configuration.fallbackModel, fallback != primary else {
                throw error
            }
            logger.warning("model failed, asking the fallback model", metadata: [
                "step": "\(request.stepID)", "model": "\(primary)", "fallback": "\(fallback)", "code": "\(error.code)",
            ])
            do {
                return try await classify(request, model: fallback)
            } catch let second {
                throw ClassifierError(code: second.code, message: "\(second.message) (after model \(primary): \(error.code))")
            }
        }
    }

    /// One call to one model; every failure comes out as a `ClassifierError`.
    public func classify(_ request: ClassifyRequest, model: String) async throws(ClassifierError) -> Classification {
        let context = "step \(request.stepID), model \(model)"
        logger.debug("asking the model", metadata: ["step": "\(request.stepID)", "model": "\(model)"])
        let body = try await send(request, model: model, context: context)
        return try OpenAIResponseParser.classification(from: body, request: request, model: model,
                                                       context: context, redact: configuration.redacted)
    }
}
