public import ArriwaStore
public import Logging
public import ServiceLifecycle

/// Fires timers: moves due timer rows into their lanes' inboxes (`promoteDueTimers`) and wakes the
/// workers, which process them in order with the lead's messages. Scans at least every
/// `maxSleep` (and sooner when the next timer is due sooner), so a due timer fires within that.
/// The database scan is the truth; nothing is kept in memory across restarts.
public final class TimerScheduler: Service, Sendable {
    public struct Configuration: Sendable {
        /// Longest wait between scans (due timers fire within this).
        public var maxSleep: Int64
        /// Timers promoted per transaction.
        public var batch: Int

        public init(maxSleepMillis: Int64 = 1000, batch: Int = 500) {
            self.maxSleep = max(1, maxSleepMillis)
            self.batch = max(1, batch)
        }
    }

    public let configuration: Configuration
    let store: any Store
    let clock: any RuntimeClock
    let workers: WakeSignal
    let metrics: RuntimeMetrics
    let logger: Logger

    /// - Parameter workers: the turn workers' wake signal.
    public init(store: any Store, configuration: Configuration = Configuration(), clock: any RuntimeClock = SystemClock(),
                workers: WakeSignal, metrics: RuntimeMetrics = RuntimeMetrics(), logger: Logger = Logger(label: "arriwa.timers")) {
        self.store = store
        self.configuration = configuration
        self.clock = clock
        self.workers = workers
        self.metrics = metrics
        self.logger = logger
    }

    public func run() async throws {
        logger.info("timer scheduler started")
        // Counting every pending timer is a scan of the table: the gauge is refreshed every 10 s.
        var lastCounted = ContinuousClock.now - .seconds(10)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let count = ContinuousClock.now - lastCounted >= .seconds(10)
            if count { lastCounted = .now }
            let wait = await tick(countPending: count)
            do {
                try await clock.sleep(milliseconds: wait)
            } catch {
                break // cancelled
            }
        }
        logger.info("timer scheduler stopped")
    }

    /// One scan: promotes what is due, wakes the workers, and returns how long to sleep.
    /// `countPending` also refreshes the pending-timers gauge (a count over the whole table).
    @discardableResult
    public func tick(countPending: Bool = true) async -> Int64 {
        do {
            let now = await clock.now()
            let moved = try await store.promoteDueTimers(now: now, limit: configuration.batch)
            if moved > 0 {
                metrics.timersPromoted.increment(by: Int64(moved))
                await workers.wake(upTo: moved)
                logger.debug("timers promoted", metadata: ["count": "\(moved)"])
                if moved >= configuration.batch { return 0 }
            }
            if countPending { metrics.timersPending.record(try await store.pendingTimerCount()) }
            guard let next = try await store.nextTimerDue() else { return configuration.maxSleep }
            return min(max(next - now, 1), configuration.maxSleep)
        } catch {
            metrics.error(.scheduler)
            logger.error("promoting due timers failed", metadata: ["error": "\(error)"])
            return configuration.maxSleep
        }
    }
}
