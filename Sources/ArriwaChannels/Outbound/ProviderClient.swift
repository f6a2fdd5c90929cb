public import ArriwaCore
public import ArriwaStore
public import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Sends one message over HTTP to the tenant's provider (Cloud API, Gupshup, Evolution) and reads
/// the answer: the provider's message id, or a `SendFailure` saying what to do next.
public struct ProviderClient: Sendable {
    public struct Configuration: Sendable {
        /// Per request; shorter than the dispatcher's delivery timeout so a slow provider is a
        /// technical failure the channel sees (and counts), not a cancelled task.
        public var timeout: Duration
        /// Evolution's "typing…" delay in milliseconds (nil: none).
        public var evolutionDelay: Int?

        public init(timeout: Duration = .seconds(10), evolutionDelay: Int? = nil) {
            self.timeout = timeout
            self.evolutionDelay = evolutionDelay
        }
    }

    public let configuration: Configuration
    let client: HTTPClient

    public init(client: HTTPClient, configuration: Configuration = Configuration()) {
        self.client = client
        self.configuration = configuration
    }

    /// Sends `content` to `address`: the phone's digits, a business-scoped user id (`kind` `.bsuid`,
    /// Cloud API only) or a provider address such as an Evolution JID (`.other`).
    public func send(_ content: MessageContent, to address: String, kind: ContactAddress.Kind = .phone, settings: ProviderSettings,
                     idempotencyKey: String) async throws(SendFailure) -> String {
        do {
            return try await post(content, to: address, kind: kind, settings: settings, idempotencyKey: idempotencyKey)
        } catch {
            // Providers may echo the number (Evolution does): it never goes further.
            throw error.redacting(address)
        }
    }

    func post(_ content: MessageContent, to address: String, kind: ContactAddress.Kind, settings: ProviderSettings,
              idempotencyKey: String) async throws(SendFailure) -> String {
        if kind == .bsuid, settings.kind != .cloudAPI {
            throw .rejected(code: nil, detail: "\(settings.kind.rawValue) cannot send to a business-scoped user id (only the Cloud API can)")
        }
        var request: HTTPClientRequest
        let body: Data
        let provider: String
        switch settings.kind {
        case .cloudAPI:
            provider = "Cloud API"
            request = HTTPClientRequest(url: CloudAPIRequest.url(settings))
            body = try Self.encode { try CloudAPIRequest(content: content, to: address, bsuid: kind == .bsuid).encoded() }
            request.headers.add(name: "Authorization", value: "Bearer \(settings.credential)")
            request.headers.add(name: "Content-Type", value: "application/json")
        case .gupshup:
            provider = "Gupshup"
            let form = try GupshupRequest(content: content, source: settings.sender, destination: address,
                                          appName: settings.appName ?? "")
            request = HTTPClientRequest(url: form.url(settings))
            body = form.encodedBody()
            request.headers.add(name: "apikey", value: settings.credential)
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        case .evolution:
            provider = "Evolution API"
            request = HTTPClientRequest(url: EvolutionRequest.url(settings))
            body = try Self.encode { try EvolutionRequest(content: content, number: address, delay: configuration.evolutionDelay).encoded() }
            request.headers.add(name: "apikey", value: settings.credential)
            request.headers.add(name: "Content-Type", value: "application/json")
        case .fake:
            throw .configuration("the fake provider kind sends nothing over HTTP")
        }
        request.method = .POST
        // Not honoured by Meta, but lets a fake (or a proxy) drop repeats of a redelivered row.
        request.headers.add(name: "Idempotency-Key", value: idempotencyKey)
        request.body = .bytes(ByteBuffer(bytes: body))
        let status: Int
        let answer: Data
        do {
            let response = try await client.execute(request, timeout: .init(configuration.timeout))
            status = Int(response.status.code)
            answer = Data((try await response.body.collect(upTo: 256 * 1024)).readableBytesView)
        } catch {
            throw .technical("\(provider): \(error)")
        }
        switch settings.kind {
        case .cloudAPI: return try ProviderResponse.cloudAPI(status: status, body: answer)
        case .gupshup: return try ProviderResponse.gupshup(status: status, body: answer)
        case .evolution, .fake: return try ProviderResponse.evolution(status: status, body: answer)
        }
    }

    /// Runs a builder, keeping its `SendFailure` and turning an encoding error into one.
    static func encode(_ build: () throws -> Data) throws(SendFailure) -> Data {
        do {
            return try build()
        } catch let failure as SendFailure {
            throw failure
        } catch {
            throw .invalidContent(field: "body", detail: "cannot be encoded: \(error)")
        }
    }
}
