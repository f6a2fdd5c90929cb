public import AsyncHTTPClient
public import ArriwaStore
import Crypto
public import Foundation
import NIOCore
import NIOHTTP1

/// A generic HTTP sink: POSTs each outbox row as JSON (`WebhookPayload`) with
/// - `Idempotency-Key`: the row's key (the receiver must dedupe on it);
/// - `X-Arriwa-Redelivery: true` when the row may have been delivered before;
/// - `X-Arriwa-Signature: sha256=<hex HMAC-SHA256(secret, body)>` when a secret is configured.
/// The secret comes from the environment (never from flow files), and is never logged.
public struct WebhookSink: Sink {
    public struct Configuration: Sendable, CustomStringConvertible {
        public var url: String
        public var secret: String?
        public var timeout: Duration

        public init(url: String, secret: String? = nil, timeout: Duration = .seconds(10)) {
            self.url = url
            self.secret = secret
            self.timeout = timeout
        }

        public var description: String {
            "WebhookSink.Configuration(url: \(url), secret: \(secret == nil ? "none" : "<redacted>"), timeout: \(timeout))"
        }
    }

    public let configuration: Configuration
    let client: HTTPClient

    public init(configuration: Configuration, client: HTTPClient) {
        self.configuration = configuration
        self.client = client
    }

    public func deliver(_ record: OutboxRecord) async throws -> String? {
        let body = try WebhookPayload(record).encoded()
        var request = HTTPClientRequest(url: configuration.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Idempotency-Key", value: record.item.key)
        if record.isRedelivery { request.headers.add(name: "X-Arriwa-Redelivery", value: "true") }
        if let secret = configuration.secret {
            request.headers.add(name: "X-Arriwa-Signature", value: Self.signature(body: body, secret: secret))
        }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .init(configuration.timeout))
        } catch {
            throw DeliveryError.transient("webhook \(record.item.destination): \(error)")
        }
        let text = try? await response.body.collect(upTo: 64 * 1024)
        if let failure = DeliveryError.classify(httpStatus: Int(response.status.code), destination: "webhook \(record.item.destination)") {
            let detail = text.map { String(buffer: $0).prefix(200) } ?? ""
            throw DeliveryError(failure.kind, detail.isEmpty ? failure.message : "\(failure.message): \(detail)")
        }
        return response.headers.first(name: "X-Request-Id")
    }

    /// `sha256=<hex HMAC-SHA256(secret, body)>`.
    public static func signature(body: Data, secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + mac.map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }
}
