public import ArriwaCore
public import Foundation

/// The fields of a Stripe event the checkout webhook uses (FACTS.md §7): the envelope's id and
/// type, and the checkout.session's id, metadata, amount_total (minor units), currency,
/// payment_status and client_reference_id.
public struct StripeCheckout: Sendable, Hashable {
    public var eventID: String
    public var type: String
    public var checkoutSessionID: String
    /// Our session: metadata `session_id`, else client_reference_id.
    public var sessionID: String?
    public var metadata: [String: String]
    public var amountMinor: Int?
    public var currency: String?
    public var paymentStatus: String?

    /// Currencies without minor units (Stripe's zero-decimal list).
    static let zeroDecimal: Set<String> = ["BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV",
                                            "XAF", "XOF", "XPF"]

    struct Envelope: Decodable {
        struct Payload: Decodable {
            var object: Session
        }

        struct Session: Decodable {
            var id: String?
            var object: String?
            var metadata: [String: String]?
            var amount_total: Int?
            var currency: String?
            var payment_status: String?
            var client_reference_id: String?
        }

        var id: String?
        var type: String?
        var data: Payload?
    }

    /// Parses a checkout.session event; the error names the missing field.
    public init(json: Data) throws(StripeEventError) {
        let envelope: Envelope
        do {
            envelope = try JSONDecoder().decode(Envelope.self, from: json)
        } catch {
            throw StripeEventError(field: "body", "is not a Stripe event (JSON object with id, type, data.object)")
        }
        guard let id = envelope.id, !id.isEmpty else { throw StripeEventError(field: "id", "is missing") }
        guard let type = envelope.type, !type.isEmpty else { throw StripeEventError(field: "type", "is missing") }
        guard let session = envelope.data?.object else { throw StripeEventError(field: "data.object", "is missing") }
        eventID = id
        self.type = type
        guard type.hasPrefix("checkout.session.") else {
            checkoutSessionID = session.id ?? ""
            metadata = session.metadata ?? [:]
            return
        }
        guard let checkout = session.id, !checkout.isEmpty else { throw StripeEventError(field: "data.object.id", "is missing") }
        checkoutSessionID = checkout
        metadata = session.metadata ?? [:]
        sessionID = metadata["session_id"].flatMap { $0.isEmpty ? nil : $0 } ?? session.client_reference_id
        amountMinor = session.amount_total
        currency = session.currency?.uppercased()
        paymentStatus = session.payment_status
    }

    /// True for a checkout whose money has arrived: completed and paid (or nothing to pay), or an
    /// async method (Pix, boleto) that succeeded later.
    public var isPaid: Bool {
        switch type {
        case "checkout.session.completed": paymentStatus == "paid" || paymentStatus == "no_payment_required"
        case "checkout.session.async_payment_succeeded": true
        default: false
        }
    }

    /// The amount in major units (149000 BRL cents → 1490.0).
    public var amount: Double? {
        guard let amountMinor else { return nil }
        return Self.zeroDecimal.contains(currency ?? "") ? Double(amountMinor) : Double(amountMinor) / 100
    }

    /// The external event for the session: `payment.completed` (or the tenant's name) with the
    /// payment's facts; metadata is passed on under `metadata.*` keys.
    public func externalEvent(name: String, sessionID: String, at: Int64) -> ExternalEvent {
        var payload: [String: Value] = ["session_id": .string(sessionID), "stripe_event_id": .string(eventID),
                                        "checkout_session_id": .string(checkoutSessionID)]
        if let amount { payload["amount"] = .number(amount) }
        if let currency { payload["currency"] = .string(currency) }
        if let paymentStatus { payload["payment_status"] = .string(paymentStatus) }
        for (key, value) in metadata { payload["metadata.\(key)"] = .string(value) }
        return ExternalEvent(name: name, payload: payload, at: at)
    }
}

/// A Stripe body that cannot be used: which field and why.
public struct StripeEventError: Error, Sendable, CustomStringConvertible {
    public var field: String
    public var message: String

    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field) \(message)" }
}
