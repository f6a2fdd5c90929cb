/// Field readers shared by the provider parsers.
enum InboundFields {
    /// Provider message ids are at most 128 characters (Meta); longer ones are refused, not cut.
    static let maxIDBytes = 256

    /// A non-empty id of reasonable length (string, or a number as written).
    static func messageID(_ node: WebhookJSON?, field: String) throws(WebhookFieldError) -> String {
        guard let node else { throw WebhookFieldError(field: field, "is missing") }
        guard let text = node.scalarText, !text.isEmpty else { throw WebhookFieldError(field: field, "is not a non-empty string") }
        guard text.utf8.count <= maxIDBytes else { throw WebhookFieldError(field: field, "is longer than \(maxIDBytes) bytes") }
        return text
    }

    /// Unix milliseconds from seconds or milliseconds (number or string); `now` when absent or absurd.
    static func milliseconds(_ node: WebhookJSON?, now: Int64) -> Int64 {
        guard let value = node?.int64, value > 0 else { return now }
        if value >= 100_000_000_000 { return value < 100_000_000_000_000 ? value : now }
        return value * 1000
    }

    static func nonEmpty(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return text
    }

    /// The referral's flat fields (scalars; a nested object's scalars as `parent_child`) and the
    /// block exactly as it appears in the body. nil, nil when it is not an object.
    static func referral(_ node: WebhookJSON, body: [UInt8]) -> (flat: [String: String]?, raw: String?) {
        guard case .object(let members, let range) = node else { return (nil, nil) }
        var flat: [String: String] = [:]
        for (key, value) in members {
            if let text = value.scalarText {
                flat[key] = text
            } else if let nested = value.objectMembers {
                for (child, inner) in nested {
                    if let text = inner.scalarText { flat["\(key)_\(child)"] = text }
                }
            }
        }
        let raw = range.upperBound <= body.count ? String(decoding: body[range], as: UTF8.self) : nil
        return (flat.isEmpty ? nil : flat, raw)
    }
}
