/// The forward-only rule of message delivery states, shared by every store (the SQL of
/// PostgreSQL's one-statement update is built from the same rule, `sql`).
public enum DeliveryState {
    /// Whether a message at `current` takes `next`: states move forward only (`DeliveryRank`),
    /// except failed → sent (a retry got through) and sent → failed (the provider accepted the
    /// message, then reported it undeliverable — e.g. 131047 outside the window arrives as a
    /// failed status after sent). A delivered or read message does not fail.
    public static func accepts(_ next: String, over current: String) -> Bool {
        DeliveryRank.rank(next) >= DeliveryRank.rank(current) || (current == "failed" && next == "sent")
            || (current == "sent" && next == "failed")
    }

    /// `accepts` as a SQL condition over two expressions holding states.
    static func sql(next: String, current: String) -> String {
        "(\(DeliveryRank.sql(next)) >= \(DeliveryRank.sql(current)) OR (\(current) = 'failed' AND \(next) = 'sent')"
            + " OR (\(current) = 'sent' AND \(next) = 'failed'))"
    }
}

/// Delivery states in the order they can only move forward.
public enum DeliveryRank {
    /// Each state's rank; unknown states rank 0. The SQL stores apply the same table (`sql`).
    static let ranks: [(state: String, rank: Int)] = [("pending", 0), ("failed", 1), ("sent", 2), ("delivered", 3), ("read", 4)]

    public static func rank(_ state: String) -> Int {
        ranks.first { $0.state == state }?.rank ?? 0
    }

    /// The rank of a SQL expression holding a state, as a CASE expression built from `ranks`.
    static func sql(_ expression: String) -> String {
        "(CASE \(expression) " + ranks.map { "WHEN '\($0.state)' THEN \($0.rank)" }.joined(separator: " ") + " ELSE 0 END)"
    }
}
