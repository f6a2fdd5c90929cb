import ArriwaRuntime
import AsyncHTTPClient
public import Foundation
import NIOCore
import NIOHTTP1

/// One HTTP exchange of a sink: status, headers and body (at most 1 MiB is read).
public struct SinkHTTPResponse: Sendable {
    public var status: Int
    public var body: Data
}

/// The HTTP calls the sinks make, with connection errors and timeouts turned into transient
/// `DeliveryError`s. Tokens go in the Authorization header only and are never logged.
enum SinkHTTP {
    static func send(_ client: HTTPClient, method: HTTPMethod, url: String, bearer: String?, contentType: String?,
                     body: Data?, timeout: Duration, what: String) async throws(DeliveryError) -> SinkHTTPResponse {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        request.headers.add(name: "Accept", value: "application/json")
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        do {
            let response = try await client.execute(request, timeout: .init(timeout))
            let bytes = try await response.body.collect(upTo: 1 << 20)
            return SinkHTTPResponse(status: Int(response.status.code), body: Data(bytes.readableBytesView))
        } catch {
            throw .transient("\(what): \(error)")
        }
    }

    /// application/x-www-form-urlencoded encoding of one value.
    static func formEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
