/// WhatsApp providers behind the engine's provider-neutral events: Cloud API, Gupshup and
/// Evolution API webhooks in (signature checks, parsing), messages out through the outbox.
public enum ArriwaChannels {
    /// The providers this module speaks, as named in tenant.yaml `provider.kind`.
    public static let providerKinds = ["cloud_api", "gupshup", "evolution"]
}
