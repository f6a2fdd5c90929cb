import ArriwaChannels
import Foundation
import NIOCore

/// One request of the ingest benchmark: a Cloud API text-message webhook, signed as Meta signs.
struct SignedWebhook: Sendable {
    var body: [UInt8]
    var signature: String

    /// Request `n`: a text message from one of `leads` leads, with a message id unique to `run`.
    init(_ n: Int, leads: Int, run: String, appSecret: String) {
        let phone = "1555\(String(format: "%07d", n % max(1, leads)))"
        let text = """
        {"object":"whatsapp_business_account","entry":[{"id":"109238475610293","changes":[{"value":{"messaging_product":"whatsapp",\
        "metadata":{"display_phone_number":"15550100123","phone_number_id":"118374659201847"},"contacts":[{"profile":{"name":"Lead \(n)"},\
        "wa_id":"\(phone)"}],"messages":[{"from":"\(phone)","id":"wamid.bench.\(run).\(n)","timestamp":"1767702341","type":"text",\
        "text":{"body":"Ol\\u00e1! Quero saber o pre\\u00e7o do plano anual"}}]},"field":"messages"}]}]}
        """
        body = Array(text.utf8)
        signature = WebhookSignature.cloudHeaderValue(body: body, appSecret: appSecret)
    }

    /// The whole HTTP/1.1 request (keep-alive) to `path` on `host:port`, as the lean generator writes it.
    func http(path: String, host: String, port: Int) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeString("""
            POST \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nContent-Type: application/json\r\n\
            \(WebhookSignature.cloudHeader): \(signature)\r\nContent-Length: \(body.count)\r\n\r\n
            """)
        buffer.writeBytes(body)
        return buffer
    }
}

/// Latencies and non-200 answers of a load run.
struct LoadOutcome: Sendable {
    var latenciesMS: [Double] = []
    var failures = 0

    func percentile(_ p: Double) -> Double {
        let sorted = latenciesMS.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, max(0, Int((Double(sorted.count) * p).rounded(.up)) - 1))]
    }
}
