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
