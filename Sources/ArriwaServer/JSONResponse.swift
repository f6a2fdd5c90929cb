import Foundation
import Hummingbird
import NIOCore

/// Small JSON answers with a fixed shape.
enum JSONResponse {
    static func make(_ status: HTTPResponse.Status, _ object: [String: any Sendable]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func error(_ status: HTTPResponse.Status, _ message: String, field: String? = nil) -> Response {
        var object: [String: any Sendable] = ["error": message]
        if let field { object["field"] = field }
        return make(status, object)
    }
}
