public import Foundation

extension InboundPayload {
    /// Decodes a body, naming the offending field on failure.
    public static func decode(_ data: Data) throws(InboundError) -> InboundPayload {
        let payload: InboundPayload
        do {
            payload = try JSONDecoder().decode(InboundPayload.self, from: data)
        } catch let error as DecodingError {
            throw describe(error)
        } catch {
            throw InboundError(field: "body", "not JSON: \(error)")
        }
        if (payload.messages ?? []).isEmpty && (payload.statuses ?? []).isEmpty {
            throw InboundError(field: "messages", "the body has no messages and no statuses")
        }
        return payload
    }

    static func path(_ codingPath: [any CodingKey]) -> String {
        var text = ""
        for key in codingPath {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text.isEmpty ? "body" : text
    }

    static func describe(_ error: DecodingError) -> InboundError {
        switch error {
        case .keyNotFound(let key, let context):
            return InboundError(field: path(context.codingPath + [key]), "is required")
        case .typeMismatch(let type, let context):
            return InboundError(field: path(context.codingPath), "has the wrong type (expected \(readable(type)))")
        case .valueNotFound(let type, let context):
            return InboundError(field: path(context.codingPath), "is null (expected \(readable(type)))")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return InboundError(field: "body", "is not valid JSON") }
            return InboundError(field: path(context.codingPath), context.debugDescription)
        @unknown default:
            return InboundError(field: "body", "\(error)")
        }
    }

    private static func readable(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        default: "\(type)"
        }
    }
}
