import ArriwaCore
import Foundation

/// Reads a chat-completions response: the envelope, then the classification JSON inside
/// `choices[0].message.content`, checked against the request.
enum OpenAIResponseParser {
    struct Envelope: Decodable {
        struct Choice: Decodable {
            struct Message: Decodable {
                var content: String?
                var refusal: String?
            }

            var message: Message
            var finish_reason: String?
        }

        var choices: [Choice]
    }

    /// The content JSON, field names as in the schema.
    struct Answer: Decodable {
        var validity: String
        var confidence: Double
        var answer: String?
        var qualityScore: Double
        var offscript: Bool

        enum CodingKeys: String, CodingKey {
            case validity, confidence, answer = "answer_parsed", qualityScore = "quality_score", offscript
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            validity = try container.decode(String.self, forKey: .validity)
            confidence = try container.decode(Double.self, forKey: .confidence)
            qualityScore = try container.decode(Double.self, forKey: .qualityScore)
            offscript = try container.decode(Bool.self, forKey: .offscript)
            // Required but nullable; a bare number is accepted for number steps.
            guard container.contains(.answer) else {
                throw DecodingError.keyNotFound(CodingKeys.answer, .init(codingPath: [], debugDescription: "answer_parsed missing"))
            }
            if try container.decodeNil(forKey: .answer) {
                answer = nil
            } else if let text = try? container.decode(String.self, forKey: .answer) {
                answer = text
            } else {
                let number = try container.decode(Double.self, forKey: .answer)
                answer = ClassificationPrompt.number(number)
            }
        }
    }

    struct ErrorBody: Decodable {
        struct Detail: Decodable { var message: String? }
        var error: Detail?
    }

    static func classification(from body: [UInt8], request: ClassifyRequest, model: String, context: String,
                               redact: (String) -> String) throws(ClassifierError) -> Classification {
        let decoder = JSONDecoder()
        let envelope: Envelope
        do {
            envelope = try decoder.decode(Envelope.self, from: Data(body))
        } catch {
            throw ClassifierError(code: .malformedResponse, message: "\(context): the body is not a chat completion")
        }
        guard let message = envelope.choices.first?.message else {
            throw ClassifierError(code: .malformedResponse, message: "\(context): no choices in the response")
        }
        if let refusal = message.refusal, !refusal.isEmpty {
            throw ClassifierError(code: .refused, message: redact("\(context): the model refused: \(excerpt(refusal))"))
        }
        guard let content = message.content, !content.isEmpty else {
            throw ClassifierError(code: .malformedResponse, message: "\(context): the message has no content")
        }
        let answer: Answer
        do {
            answer = try decoder.decode(Answer.self, from: Data(content.utf8))
        } catch {
            throw ClassifierError(code: .malformedResponse,
                                  message: redact("\(context): the content is not a classification: \(excerpt(content))"))
        }
        guard let validity = Classification.Validity(rawValue: answer.validity) else {
            throw ClassifierError(code: .malformedResponse, message: redact("\(context): unknown validity '\(excerpt(answer.validity))'"))
        }
        return classification(answer, validity: validity, request: request, model: model)
    }

    /// Clamps the numbers and holds the answer to the step's option ids: anything else is ambiguous.
    static func classification(_ answer: Answer, validity: Classification.Validity, request: ClassifyRequest,
                               model: String) -> Classification {
        var validity = validity
        var parsed = answer.answer?.trimmingCharacters(in: .whitespacesAndNewlines)
        if parsed?.isEmpty == true { parsed = nil }
        if validity == .noise { parsed = nil }
        if let id = parsed, !request.options.isEmpty, !request.options.contains(where: { $0.id == id }) {
            parsed = nil
            validity = .ambiguous
        }
        if validity == .valid && parsed == nil { validity = .ambiguous }
        return Classification(validity: validity, confidence: answer.confidence, answer: parsed,
                              qualityScore: answer.qualityScore, offscript: answer.offscript, source: "llm:\(model)")
    }

    /// The `error.message` of an OpenAI-style error body, shortened.
    static func errorMessage(in body: [UInt8]) -> String? {
        guard let parsed = try? JSONDecoder().decode(ErrorBody.self, from: Data(body)), let message = parsed.error?.message else {
            return nil
        }
        return excerpt(message)
    }

    static func excerpt(_ text: String, limit: Int = 200) -> String {
        text.count <= limit ? text : String(text.prefix(limit)) + "…"
    }
}
