import ArriwaCore
public import ArriwaRuntime
public import ArriwaStore
public import AsyncHTTPClient
import Foundation
public import Logging
import NIOHTTP1

/// The `capi` sink: Meta's Conversions API for business messaging. Each emission is mapped
/// (`conversions.event_names`; `none` keeps it off CAPI), routed to its stream's dataset (GOOD and
/// NOISE differ) and batched with the other rows bound for the same dataset — up to `maxBatch`
/// per request. Every event's outcome is logged: success (with Meta's fbtrace_id), error (Meta's
/// error) or skipped (why). A batch Meta refuses as a whole is resent one event per request, so a
/// single bad event fails alone; 429, 5xx and Meta's rate-limit codes are retried by the dispatcher.
public struct CAPISink: Sink {
    public struct Configuration: Sendable {
        /// How long the first row of a batch waits for others.
        public var window: Duration
        /// Events per request (Meta accepts up to 1,000).
        public var maxBatch: Int
        public var timeout: Duration
        /// Sent as `partner_agent`.
        public var partnerAgent: String?

        public init(window: Duration = .milliseconds(200), maxBatch: Int = 1000, timeout: Duration = .seconds(10),
                    partnerAgent: String? = "arriwa") {
            self.window = window
            self.maxBatch = min(max(1, maxBatch), 1000)
            self.timeout = timeout
            self.partnerAgent = partnerAgent
        }
    }

    struct BatchKey: Hashable, Sendable {
        var url: String
        var token: String
        var tenant: String
        var datasetID: String
    }

    /// `remoteID` of a row that was deliberately not sent.
    public static func skippedID(_ reason: String) -> String { "skipped: \(reason)" }

    let configs: SinkConfigs
    let batcher: BatchCollector<BatchKey, CAPIEvent>
    let logger: Logger

    public init(configs: SinkConfigs, client: HTTPClient, configuration: Configuration = Configuration(),
                logger: Logger = Logger(label: "arriwa.sink.capi")) {
        self.configs = configs
        self.logger = logger
        let sender = CAPISender(client: client, configuration: configuration, logger: logger)
        batcher = BatchCollector(window: configuration.window, maxItems: configuration.maxBatch) { key, events in
            await sender.send(events, to: key)
        }
    }

    public func deliver(_ record: OutboxRecord) async throws -> String? {
        guard case .emit(let emission) = record.item.effect else {
            throw DeliveryError.permanent("capi row \(record.id) does not carry an emission")
        }
        let config: SinkTenantConfig
        do {
            config = try await configs.config(tenant: record.item.tenant)
        } catch let error as SinkConfigError {
            throw DeliveryError.permanent("capi: \(error)")
        }
        var metadata: Logger.Metadata = ["tenant": "\(record.item.tenant)", "event_id": "\(emission.key)",
                                         "funnel_event": "\(emission.event)", "stream": "\(emission.stream.rawValue)"]
        let plan: CAPIPlan
        do {
            plan = try CAPIPlan(emission, config: config)
        } catch {
            metadata["outcome"] = "error"
            metadata["error"] = "\(error.message)"
            logger.error("capi event", metadata: metadata)
            throw error
        }
        switch plan {
        case .skip(let reason):
            metadata["outcome"] = "skipped"
            metadata["reason"] = "\(reason)"
            logger.info("capi event", metadata: metadata)
            return Self.skippedID(reason)
        case .send(let event, let stream, let token):
            if record.inDoubt {
                // The previous attempt left no outcome (its process died, or its lease ran out,
                // mid-delivery): Meta may already have this event and does not deduplicate
                // business-messaging events. At most once: refuse it, for an operator to check.
                metadata["outcome"] = "error"
                logger.warning("capi event in doubt: not resent automatically", metadata: metadata)
                throw DeliveryError.permanent(Self.inDoubtMessage(eventID: emission.key))
            }
            let key = BatchKey(url: "\(config.graphURL)/\(config.settings.apiVersion)/\(stream.datasetID)/events", token: token,
                               tenant: record.item.tenant, datasetID: stream.datasetID)
            return try await batcher.submit(event, key: key)
        }
    }
}

extension CAPISink {
    /// The dead letter's error for a row whose earlier attempt may have reached Meta.
    static func inDoubtMessage(eventID: String) -> String {
        "in doubt: an earlier attempt stopped without an answer recorded (process killed or lease expired), so Meta may "
            + "already have event_id \(eventID) and it does not deduplicate business-messaging events; not resent automatically. "
            + "Check Events Manager, then `arriwa outbox retry <id>` if it is missing"
    }
}

/// What the sink does with one emission.
enum CAPIPlan {
    case skip(String)
    case send(CAPIEvent, SinkTenantConfig.Stream, token: String)

    init(_ emission: Emission, config: SinkTenantConfig) throws(DeliveryError) {
        let name = config.eventNames[emission.event] ?? emission.event
        if name == "none" {
            self = .skip("\(emission.event) is mapped to none (audiences and CRM only)")
            return
        }
        guard let stream = config.streams[emission.stream.rawValue] else {
            throw .permanent("capi: tenant.yaml declares no \(emission.stream.rawValue) stream (streams.\(emission.stream.rawValue).dataset_id)")
        }
        let messaging = stream.actionSource == "business_messaging"
        if messaging && !CAPISink.allowedBusinessMessagingEvents.contains(name) {
            throw .permanent("capi: '\(name)' is not an event name Meta accepts for business messaging; map \(emission.event) in conversions.event_names")
        }
        let ctwa = emission.attribution["ctwa_clid"].flatMap { $0.isEmpty ? nil : $0 }
        let hashPhone = config.settings.hashPhone && Phone.isHash(emission.phoneHash)
        if messaging && ctwa == nil && !hashPhone {
            self = .skip("no ctwa_clid (not a click-to-WhatsApp lead) and hash_phone is off")
            return
        }
        if !messaging && !hashPhone {
            self = .skip("action_source \(stream.actionSource) needs user_data.ph and hash_phone is off")
            return
        }
        guard let token = config.secret(stream.tokenEnv) else {
            throw .permanent("capi: the \(emission.stream.rawValue) stream's token env var \(stream.tokenEnv ?? "(access_token_env not set)") is empty")
        }
        let event = CAPIEvent(emission, eventName: name, actionSource: stream.actionSource,
                              businessAccountID: config.settings.businessAccountID, hashPhone: hashPhone)
        self = .send(event, stream, token: token)
    }
}

extension CAPISink {
    /// Event names Meta accepts with action_source business_messaging (FACTS.md §5).
    public static let allowedBusinessMessagingEvents: Set<String> = [
        "Purchase", "LeadSubmitted", "QualifiedLead", "InitiateCheckout", "AddToCart", "ViewContent", "OrderCreated",
        "OrderShipped", "OrderDelivered", "OrderCanceled", "OrderReturned", "CartAbandoned", "RatingProvided", "ReviewProvided",
    ]
}
