import ArriwaChannels
import ArriwaRuntime
import ArriwaStore
import AsyncHTTPClient
import Logging

/// The WhatsApp channel of `arriwa serve`: each tenant's provider from its tenant.yaml, with leads'
/// addresses sealed by ARRIWA_CONTACT_KEY. Without the key nothing can be sent (the numbers cannot
/// be stored), so messages are only recorded and logged, as before providers existed.
enum ServeChannel {
    struct BadKey: Error, CustomStringConvertible {
        var description: String
    }

    static func make(env: [String: String], store: any Store, client: HTTPClient, wake: @escaping @Sendable () async -> Void,
                     logger: Logger) throws -> any Channel {
        let recording = RecordingChannel(logger: Logger(label: "arriwa.channel"))
        let sealer: AddressSealer
        do {
            sealer = try AddressSealer(environment: env)
        } catch AddressSealer.SealerError.missingKey {
            logger.warning("no WhatsApp provider channel: messages are recorded, not sent",
                           metadata: ["set": "\(AddressSealer.environmentKey)"])
            return recording
        } catch {
            throw BadKey(description: "\(error)")
        }
        logger.info("WhatsApp channel ready: each tenant sends through its tenant.yaml provider",
                    metadata: ["cloud_api_base_url": "\(env[ProviderSettings.cloudBaseURLVariable] ?? "https://graph.facebook.com")"])
        return WhatsAppChannel(store: store, providers: TenantProviders(store: store, environment: env), sealer: sealer,
                               client: ProviderClient(client: client), fallback: recording, wake: wake,
                               logger: Logger(label: "arriwa.channel"))
    }
}
