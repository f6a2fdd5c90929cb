import Foundation
import Hummingbird

extension FakeChatCompletionsServer {
    /// Renders a reply in the chat-completions wire format.
    static func response(for reply: Reply, model: String, number: Int) async throws -> Response {
        switch reply {
        case .delayed(let duration, let next):
            try await Task.sleep(for: duration)
            return try await response(for: next, model: model, number: number)
        case .content(let content):
            return try json(status: 200, completion(model: model, number: number, content: content, refusal: nil))
        case .classification(let validity, let confidence, let answer, let qualityScore, let offscript):
            let content = try String(decoding: JSONEncoder().encode(
                ClassificationContent(validity: validity, confidence: confidence, answer: answer,
                                      qualityScore: qualityScore, offscript: offscript)), as: UTF8.self)
            return try json(status: 200, completion(model: model, number: number, content: content, refusal: nil))
        case .refusal(let text):
            return try json(status: 200, completion(model: model, number: number, content: nil, refusal: text))
        case .error(let status, let message, let type):
            return try json(status: status, ErrorBody(error: .init(message: message, type: type, code: type)))
        case .raw(let status, let body):
            return Response(status: .init(code: status), headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: body)))
        }
    }

    private static func json(status: Int, _ value: some Encodable) throws -> Response {
        let data = try JSONEncoder().encode(value)
        return Response(status: .init(code: status), headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    private static func completion(model: String, number: Int, content: String?, refusal: String?) -> Completion {
        Completion(id: "chatcmpl-fake-\(number)", created: Int(Date().timeIntervalSince1970), model: model,
                   choices: [.init(message: .init(content: content, refusal: refusal))],
                   usage: .init(prompt_tokens: 120, completion_tokens: 30, total_tokens: 150))
    }

    struct Completion: Encodable {
        struct Choice: Encodable {
            struct Message: Encodable {
                var role = "assistant"
                var content: String?
                var refusal: String?

                func encode(to encoder: any Encoder) throws {
                    var container = encoder.container(keyedBy: CodingKeys.self)
                    try container.encode(role, forKey: .role)
                    try container.encodeNullable(content, forKey: .content)
                    try container.encodeNullable(refusal, forKey: .refusal)
                }

                enum CodingKeys: String, CodingKey { case role, content, refusal }
            }

            var index = 0
            var message: Message
            var finish_reason = "stop"
        }

        struct Usage: Encodable {
            var prompt_tokens: Int
            var completion_tokens: Int
            var total_tokens: Int
        }

        var id: String
        var object = "chat.completion"
        var created: Int
        var model: String
        var choices: [Choice]
        var usage: Usage
    }

    struct ClassificationContent: Encodable {
        var validity: String
        var confidence: Double
        var answer: String?
        var qualityScore: Double
        var offscript: Bool

        enum CodingKeys: String, CodingKey {
            case validity, confidence, answer = "answer_parsed", qualityScore = "quality_score", offscript
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(validity, forKey: .validity)
            try container.encode(confidence, forKey: .confidence)
            try container.encodeNullable(answer, forKey: .answer)
            try container.encode(qualityScore, forKey: .qualityScore)
            try container.encode(offscript, forKey: .offscript)
        }
    }

    struct ErrorBody: Encodable {
        struct Detail: Encodable {
            var message: String
            var type: String
            var param: String?
            var code: String?

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(message, forKey: .message)
                try container.encode(type, forKey: .type)
                try container.encodeNullable(param, forKey: .param)
                try container.encodeNullable(code, forKey: .code)
            }

            enum CodingKeys: String, CodingKey { case message, type, param, code }
        }

        var error: Detail
    }
}

extension KeyedEncodingContainer {
    /// Writes `null` for nil instead of leaving the key out.
    mutating func encodeNullable(_ value: String?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
}
