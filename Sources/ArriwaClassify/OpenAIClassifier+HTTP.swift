public import ArriwaCore
import AsyncHTTPClient

extension OpenAIClassifier {
    /// The largest response body read; a classification is a few hundred bytes.
    static let maxResponseBytes = 1 << 20

    /// The chat-completions request body: model, temperature 0, system + user messages, max tokens
    /// and the strict JSON schema.
    public func requestBody(for request: ClassifyRequest, model: String) -> JSONValue {
        .object([
            ("model", .string(model)),
            ("temperature", .int(0)),
            ("max_tokens", .int(configuration.maxTokens)),
            ("messages", .array([
                .object([("role", .string("system")), ("content", .string(ClassificationPrompt.system(for: request)))]),
                .object([("role", .string("user")), ("content", .string(ClassificationPrompt.user(for: request)))]),
            ])),
            ("response_format", ClassificationSchema.responseFormat(for: request)),
        ])
    }

    /// POSTs the request and returns the body of a 2xx answer.
    func send(_ request: ClassifyRequest, model: String, context: String) async throws(ClassifierError) -> [UInt8] {
        var http = HTTPClientRequest(url: configuration.endpoint)
        http.method = .POST
        http.headers.add(name: "Content-Type", value: "application/json")
        http.headers.add(name: "Accept", value: "application/json")
        if let key = configuration.apiKey, !key.isEmpty {
            http.headers.add(name: "Authorization", value: "Bearer \(key)")
        }
        http.body = .bytes(Array(requestBody(for: request, model: model).rendered().utf8))

        let (secondsPart, attoseconds) = configuration.timeout.components
        let milliseconds = max(1, secondsPart * 1000 + attoseconds / 1_000_000_000_000_000)
        let status: Int
        let body: [UInt8]
        do {
            let response = try await httpClient.execute(http, timeout: .milliseconds(milliseconds), logger: logger)
            status = Int(response.status.code)
            let buffer = try await response.body.collect(upTo: Self.maxResponseBytes)
            body = Array(buffer.readableBytesView)
        } catch let error as HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout:
                throw ClassifierError(code: .timeout, message: "\(context): no answer within \(configuration.timeout)")
            default:
                throw ClassifierError(code: .transport, message: configuration.redacted("\(context): \(error)"))
            }
        } catch {
            throw ClassifierError(code: .transport, message: configuration.redacted("\(context): \(error)"))
        }
        guard (200..<300).contains(status) else {
            let detail = OpenAIResponseParser.errorMessage(in: body).map { ": \($0)" } ?? ""
            throw ClassifierError(code: .http(status: status), message: configuration.redacted("\(context): HTTP \(status)\(detail)"))
        }
        return body
    }
}
