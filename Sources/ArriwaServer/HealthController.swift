import ArriwaRuntime
import ArriwaStore
import Hummingbird
import Logging
import NIOCore
import Prometheus

/// `/healthz` (the process answers), `/readyz` (the store answers in time), `/metrics`.
struct HealthController: Sendable {
    let store: any Store
    let registry: PrometheusCollectorRegistry
    let readinessTimeout: Duration
    let logger: Logger

    func healthz(_ request: Request, context: some RequestContext) async throws -> Response {
        JSONResponse.make(.ok, ["status": "ok"])
    }

    func readyz(_ request: Request, context: some RequestContext) async throws -> Response {
        let store = self.store
        do {
            try await withDeadline(readinessTimeout) { try await store.ping() }
            return JSONResponse.make(.ok, ["status": "ready", "store": store.kind])
        } catch {
            logger.warning("readiness check failed", metadata: ["store": "\(store.kind)", "error": "\(error)"])
            return JSONResponse.make(.serviceUnavailable, ["status": "unavailable", "store": store.kind, "error": "\(error)"])
        }
    }

    func metrics(_ request: Request, context: some RequestContext) async throws -> Response {
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
