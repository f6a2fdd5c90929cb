/// The forward-only rule of message delivery states, shared by the SQL stores (the in-memory
/// store applies the same rule through `DeliveryRank`).
enum DeliveryState {
    /// Whether a message at `current` takes `next`: states move forward only, except failed → sent
    /// (a retry got through).
    static func accepts(_ next: String, over current: String) -> Bool {
        DeliveryRank.rank(next) >= DeliveryRank.rank(current) || (current == "failed" && next == "sent")
    }
}
