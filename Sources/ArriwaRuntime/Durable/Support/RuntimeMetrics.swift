public import CoreMetrics

/// The durable runtime's metrics, created on one factory (the Prometheus registry `arriwa serve`
/// exposes at `/metrics`; tests pass their own so runs do not share a global registry).
public struct RuntimeMetrics: Sendable {
    /// Inbound webhook entries appended to the inbox (messages and statuses).
    public let messagesIn: Counter
    /// Turns committed.
    public let turns: Counter
    /// Time from the webhook's append (or a timer's promotion) to the turn's commit.
    public let processingLatency: CoreMetrics.Timer
    /// Outbox rows waiting for delivery.
    public let outboxBacklog: Gauge
    /// Timers scheduled and not yet due.
    public let timersPending: Gauge
    /// Timers moved into the inbox.
    public let timersPromoted: Counter
    public let deliveries: Counter
    public let deadLetters: Counter
    private let workerErrors: Counter
    private let schedulerErrors: Counter
    private let dispatcherErrors: Counter
    private let webhookErrors: Counter

    public enum Component: String, Sendable {
        case worker, scheduler, dispatcher, webhook
    }

    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        messagesIn = Counter(label: "arriwa_messages_in_total", factory: factory)
        turns = Counter(label: "arriwa_turns_total", factory: factory)
        processingLatency = CoreMetrics.Timer(label: "arriwa_processing_latency_seconds", factory: factory)
        outboxBacklog = Gauge(label: "arriwa_outbox_backlog", factory: factory)
        timersPending = Gauge(label: "arriwa_timers_pending", factory: factory)
        timersPromoted = Counter(label: "arriwa_timers_promoted_total", factory: factory)
        deliveries = Counter(label: "arriwa_outbox_delivered_total", factory: factory)
        deadLetters = Counter(label: "arriwa_outbox_dead_total", factory: factory)
        workerErrors = Counter(label: "arriwa_errors_total", dimensions: [("component", Component.worker.rawValue)], factory: factory)
        schedulerErrors = Counter(label: "arriwa_errors_total", dimensions: [("component", Component.scheduler.rawValue)], factory: factory)
        dispatcherErrors = Counter(label: "arriwa_errors_total", dimensions: [("component", Component.dispatcher.rawValue)], factory: factory)
        webhookErrors = Counter(label: "arriwa_errors_total", dimensions: [("component", Component.webhook.rawValue)], factory: factory)
    }

    public func error(_ component: Component) {
        switch component {
        case .worker: workerErrors.increment()
        case .scheduler: schedulerErrors.increment()
        case .dispatcher: dispatcherErrors.increment()
        case .webhook: webhookErrors.increment()
        }
    }
}
