import Foundation

/// Why a provider did not take a message, sorted by what the sender does next (FACTS.md §2).
/// Branches on the provider's numeric code, never on its titles.
public enum SendFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// 131047 (or Gupshup's legacy 470): more than 24 hours since the lead last wrote. The engine
    /// switches to the node's template; the free-form message is not retried.
    case outsideWindow(code: Int, detail: String)
    /// 131056: the (business, consumer) pair rate limit. Back off for this recipient only.
    case pairRateLimit(detail: String)
    /// 130429 (throughput), 131057 (maintenance), 4 / 80007 (API call limits): back off for the
    /// whole sender number.
    case throughput(code: Int, detail: String)
    /// 131026: not a WhatsApp user, old client or new terms not accepted. Mark the contact; stop.
    case undeliverable(code: Int, detail: String)
    /// 5xx, timeouts, connection errors: retried with backoff.
    case technical(String)
    /// Anything else the provider refused (bad parameter, template missing, auth): not retried.
    case rejected(code: Int?, detail: String)
    /// The message cannot be expressed in the provider's format (too long, too many buttons…);
    /// `field` names the part at fault.
    case invalidContent(field: String, detail: String)
    /// The tenant's provider cannot send for any lead (missing or refused credentials, a locked
    /// account): an operator must act, so it is not reported to the engine (which would hand every
    /// lead to a human); the rows wait in the dead letters for `arriwa outbox retry`.
    case configuration(String)

    /// The provider's error code, when there is one.
    public var code: Int? {
        switch self {
        case .outsideWindow(let code, _), .throughput(let code, _), .undeliverable(let code, _): code
        case .pairRateLimit: 131056
        case .rejected(let code, _): code
        case .technical, .invalidContent, .configuration: nil
        }
    }

    /// Maps a Meta (Cloud API or passthrough) error code to what to do.
    public static func meta(code: Int, detail: String) -> SendFailure {
        switch code {
        case 131047, 470: .outsideWindow(code: code, detail: detail)
        case 131056: .pairRateLimit(detail: detail)
        case 130429, 131057, 4, 80007: .throughput(code: code, detail: detail)
        case 131026: .undeliverable(code: code, detail: detail)
        case 131000, 1, 2: .technical("provider error \(code): \(detail)")
        // Token expired or invalid, no permission, account locked or blocked, billing.
        case 0, 10, 190, 200...299, 131031, 368, 131042: .configuration("the provider refused the account (\(code)): \(detail)")
        default: .rejected(code: code, detail: detail)
        }
    }

    /// An HTTP status without a usable error body: 408, 429 and 5xx are technical, other 4xx refusals.
    public static func http(status: Int, provider: String, body: String) -> SendFailure {
        let detail = "\(provider) answered HTTP \(status)\(body.isEmpty ? "" : ": \(body.prefix(200))")"
        switch status {
        case 429: return .throughput(code: 429, detail: detail)
        case 401, 403: return .configuration(detail)
        case 408, 500...: return .technical(detail)
        default: return .rejected(code: nil, detail: detail)
        }
    }

    /// The same failure with `text` (a lead's number a provider echoed back) replaced, so it never
    /// reaches a log line or the outbox's last error.
    public func redacting(_ text: String) -> SendFailure {
        guard !text.isEmpty else { return self }
        func clean(_ detail: String) -> String { detail.replacingOccurrences(of: text, with: "<recipient>") }
        return switch self {
        case .outsideWindow(let code, let detail): .outsideWindow(code: code, detail: clean(detail))
        case .pairRateLimit(let detail): .pairRateLimit(detail: clean(detail))
        case .throughput(let code, let detail): .throughput(code: code, detail: clean(detail))
        case .undeliverable(let code, let detail): .undeliverable(code: code, detail: clean(detail))
        case .technical(let detail): .technical(clean(detail))
        case .rejected(let code, let detail): .rejected(code: code, detail: clean(detail))
        case .invalidContent(let field, let detail): .invalidContent(field: field, detail: clean(detail))
        case .configuration(let detail): .configuration(clean(detail))
        }
    }

    public var description: String {
        switch self {
        case .outsideWindow(let code, let detail): "outside the 24-hour window (\(code)): \(detail)"
        case .pairRateLimit(let detail): "pair rate limit (131056): \(detail)"
        case .throughput(let code, let detail): "sender throughput limit (\(code)): \(detail)"
        case .undeliverable(let code, let detail): "undeliverable (\(code)): \(detail)"
        case .technical(let detail): "technical failure: \(detail)"
        case .rejected(let code, let detail): "refused\(code.map { " (\($0))" } ?? ""): \(detail)"
        case .invalidContent(let field, let detail): "invalid message: \(field) \(detail)"
        case .configuration(let detail): "provider not configured: \(detail)"
        }
    }
}
