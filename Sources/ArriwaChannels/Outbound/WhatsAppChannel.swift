public import ArriwaCore
public import ArriwaRuntime
public import ArriwaStore
public import Logging

/// The outbox's WhatsApp channel: per tenant, the provider named in tenant.yaml (Cloud API,
/// Gupshup, Evolution; `fake` records instead of sending). For each message it opens the lead's
/// sealed address, waits for the sender number's token bucket and any rate-limit backoff, sends,
/// and turns the provider's answer into what the outbox and the engine need:
///
/// | answer | outbox row | engine |
/// |---|---|---|
/// | message id | delivered (`sent` in the message log) | — |
/// | 131047 outside the window | dead (not retried) | `failed` 131047 → the node's template |
/// | 131056 pair limit | retried after 4^n s for this recipient (`retrying`) | — |
/// | 130429 throughput | retried after the number's backoff (`retrying`) | — |
/// | a rate limit until the row's attempts run out | dead (`escalated`) | `failed`: resend, handover after the 3rd |
/// | 131026 undeliverable | dead | `failed` 131026 (the worker marks the contact); a handover after the 3rd |
/// | 5xx, timeout | retried (1, 2 s …; `retrying`); dead at the `technicalAttempts`th (`escalated`) | then `failed`: resend, handover after the 3rd |
/// | other refusal | dead | `failed` with the code: resend, handover after the 3rd |
/// | credentials / account refused (190, 10, 131031, 401…), content over the limits | dead, logged as an error | — (an operator fixes and retries the dead letters) |
///
/// The message log follows each message's `DeliveryStateMachine`: `retrying` while a failed send
/// waits for its next attempt, `escalated` when the channel gave up on it and handed it to the
/// engine (the dispatcher records `sent`, the status webhooks the rest).
public struct WhatsAppChannel: Channel {
    public struct Configuration: Sendable {
        /// Failed technical attempts of one message before it is reported failed to the engine.
        public var technicalAttempts: Int
        /// Sends per second per sender number.
        public var sendsPerSecond: Double
        public var throttle: SendThrottle.Configuration

        public init(technicalAttempts: Int = 3, sendsPerSecond: Double = 80,
                    throttle: SendThrottle.Configuration = SendThrottle.Configuration()) {
            self.technicalAttempts = max(1, technicalAttempts)
            self.sendsPerSecond = sendsPerSecond
            self.throttle = throttle
        }
    }

    public let configuration: Configuration
    let store: any Store
    let providers: TenantProviders
    let sealer: AddressSealer
    let client: ProviderClient
    let feedback: DeliveryFeedback
    let bucket: TokenBucket
    let throttle: SendThrottle
    let attempts: DeliveryAttempts
    let fallback: any Channel
    let clock: any RuntimeClock
    let logger: Logger

    /// - Parameters:
    ///   - fallback: the channel of tenants whose provider kind is `fake`.
    ///   - wake: wakes the turn workers when a failure is reported to the inbox.
    public init(store: any Store, providers: TenantProviders, sealer: AddressSealer, client: ProviderClient,
                configuration: Configuration = Configuration(), fallback: any Channel = RecordingChannel(),
                clock: any RuntimeClock = SystemClock(), wake: @escaping @Sendable () async -> Void = {},
                logger: Logger = Logger(label: "arriwa.channel")) {
        self.configuration = configuration
        self.store = store
        self.providers = providers
        self.sealer = sealer
        self.client = client
        self.feedback = DeliveryFeedback(store: store, clock: clock, wake: wake)
        self.bucket = TokenBucket(rate: configuration.sendsPerSecond)
        self.throttle = SendThrottle(configuration: configuration.throttle)
        self.attempts = DeliveryAttempts(escalateAfter: configuration.technicalAttempts)
        self.fallback = fallback
        self.clock = clock
        self.logger = logger
    }

    public func send(_ message: OutboundMessage, tenant: String, idempotencyKey: String, redelivery: Bool) async throws -> String {
        let settings: ProviderSettings
        do {
            settings = try await providers.settings(tenant: tenant)
        } catch let failure as SendFailure {
            throw DeliveryError.permanent(failure.description)
        }
        if settings.kind == .fake {
            return try await fallback.send(message, tenant: tenant, idempotencyKey: idempotencyKey, redelivery: redelivery)
        }
        // A redelivered row whose earlier attempt got through (the provider's id is in the message
        // log, only the outbox row's completion was lost): the lead has it already.
        if redelivery, let sent = try await store.messageLog(tenant: tenant, messageID: message.id)?.providerMessageID {
            return sent
        }
        let (address, kind) = try await recipient(of: message, tenant: tenant)
        if let wait = await throttle.wait(sender: settings.sender, recipient: message.phoneHash, now: await clock.now()) {
            throw DeliveryError(.transient, "backing off after a rate limit", retryAfterMillis: wait)
        }
        try await bucket.acquire(settings.sender)
        do {
            let id = try await client.send(message.content, to: address, kind: kind, settings: settings, idempotencyKey: idempotencyKey)
            await throttle.succeeded(sender: settings.sender, recipient: message.phoneHash)
            await attempts.clear(message.id)
            return id
        } catch {
            throw await handle(error, message: message, tenant: tenant, settings: settings)
        }
    }

    /// The dispatcher gave up on the message after its attempts ran out on transient failures (a
    /// rate limit that never lifted, timeouts the channel did not see, technical failures counted
    /// before a restart): reported to the engine like a technical failure — a `failed` status, so
    /// it resends and hands the lead over at the 3rd failed delivery — and `escalated` in the log.
    public func abandon(_ message: OutboundMessage, tenant: String, attempts: Int, lastError: DeliveryError) async throws {
        if let settings = try? await providers.settings(tenant: tenant), settings.kind == .fake {
            return try await fallback.abandon(message, tenant: tenant, attempts: attempts, lastError: lastError)
        }
        try await feedback.reportFailed(message, tenant: tenant, code: nil,
                                        title: "given up after \(attempts) attempts: \(lastError.message)")
        await self.attempts.clear(message.id)
        await record(.escalated, message: message, tenant: tenant, at: await clock.now())
        logger.warning("send given up after its attempts; reported to the engine", metadata: [
            "tenant": "\(tenant)", "message": "\(message.id)", "attempts": "\(attempts)", "error": "\(lastError)",
        ])
    }

    /// The lead's address and its kind, opened from the store (never logged).
    func recipient(of message: OutboundMessage, tenant: String) async throws -> (String, ContactAddress.Kind) {
        guard let stored = try await store.contactAddress(tenant: tenant, lane: message.phoneHash) else {
            throw DeliveryError.permanent("no contact address is stored for subscriber \(message.subscriberID) (lane \(message.phoneHash.prefix(12))…)")
        }
        do {
            return (try sealer.open(stored.sealed), stored.kind)
        } catch {
            throw DeliveryError.permanent("\(error)")
        }
    }

    /// What the outbox does with a failed send, after telling the engine when it must act.
    func handle(_ failure: SendFailure, message: OutboundMessage, tenant: String, settings: ProviderSettings) async -> DeliveryError {
        let now = await clock.now()
        var metadata: Logger.Metadata = ["tenant": "\(tenant)", "message": "\(message.id)", "error": "\(failure)"]
        switch failure {
        case .pairRateLimit:
            let wait = await throttle.pairLimited(sender: settings.sender, recipient: message.phoneHash, now: now)
            await record(.retrying, message: message, tenant: tenant, at: now)
            return DeliveryError(.transient, failure.description, retryAfterMillis: wait)
        case .throughput:
            let wait = await throttle.senderLimited(sender: settings.sender, now: now)
            await record(.retrying, message: message, tenant: tenant, at: now)
            return DeliveryError(.transient, failure.description, retryAfterMillis: wait)
        case .technical:
            guard await attempts.failed(message.id, at: now) == .escalated else {
                await record(.retrying, message: message, tenant: tenant, at: now)
                return .transient(failure.description)
            }
            let count = configuration.technicalAttempts
            metadata["attempts"] = "\(count)"
            return await report(failure, code: nil, message: message, tenant: tenant, metadata: metadata,
                                title: "technical failure after \(count) attempts: \(failure)", escalate: true)
        case .outsideWindow(let code, _), .undeliverable(let code, _):
            // 131026 also marks the contact: the turn worker does it for any failed 131026 status.
            return await report(failure, code: code, message: message, tenant: tenant, metadata: metadata, title: failure.description)
        case .rejected(let code, _):
            return await report(failure, code: code, message: message, tenant: tenant, metadata: metadata, title: failure.description)
        case .invalidContent, .configuration:
            await attempts.clear(message.id)
            logger.error("message cannot be sent", metadata: metadata)
            return .permanent(failure.description)
        }
    }

    /// Appends the `failed` status for the engine; the row itself is finished (dead). If the
    /// inbox cannot be written, the row is retried instead, so the failure is not lost.
    /// - Parameter escalate: the channel gave up after retrying: the message log says `escalated`.
    func report(_ failure: SendFailure, code: Int?, message: OutboundMessage, tenant: String, metadata: Logger.Metadata,
                title: String, escalate: Bool = false) async -> DeliveryError {
        do {
            try await feedback.reportFailed(message, tenant: tenant, code: code, title: title)
        } catch {
            logger.error("reporting a failed send to the engine failed; will retry the send",
                         metadata: metadata.merging(["store": "\(error)"]) { $1 })
            return .transient(failure.description)
        }
        await attempts.clear(message.id)
        if escalate { await record(.escalated, message: message, tenant: tenant, at: await clock.now()) }
        logger.warning("send failed; reported to the engine", metadata: metadata)
        return .permanent("\(failure) (reported to the engine as a failed delivery)")
    }

    /// Moves the message log to `state` (the store's rule refuses a move back). A failure to write
    /// is logged, never fatal: the send's outcome matters more than the log line.
    func record(_ state: DeliveryStateMachine.State, message: OutboundMessage, tenant: String, at: Int64) async {
        do {
            try await store.recordDelivery(tenant: tenant, messageID: message.id, providerMessageID: nil, state: state.logState, at: at)
        } catch {
            logger.warning("recording a delivery state failed", metadata: [
                "tenant": "\(tenant)", "message": "\(message.id)", "state": "\(state.rawValue)", "error": "\(error)",
            ])
        }
    }

    /// A helper for `handle` with any error: provider failures as such, anything else technical.
    func handle(_ error: any Error, message: OutboundMessage, tenant: String, settings: ProviderSettings) async -> any Error {
        if error is CancellationError { return error }
        let failure = (error as? SendFailure) ?? .technical("\(error)")
        return await handle(failure, message: message, tenant: tenant, settings: settings)
    }
}
