/// Conversion and CRM sinks for the outbox dispatcher (Meta Conversions API, Custom Audiences,
/// Kommo) and the inbound webhooks that become external events (Stripe, CRM field changes).
public enum ArriwaSinks {
    /// The sink names an emission's `sinks` list may carry, besides `webhook` and `log`.
    public static let sinkNames = ["capi", "audiences", "crm"]
}
