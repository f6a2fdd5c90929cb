import ArriwaChannels
import ArriwaCore
import ArriwaRuntime
import ArriwaSinks
import ArriwaStore
import AsyncHTTPClient
import Logging

/// The conversion and CRM sinks `arriwa serve` registers: `ARRIWA_SINKS` lists them (`capi`,
/// `audiences`, `crm`, or `all`); unlisted ones stay on the log sink. Each reads the tenant's
/// deployed tenant.yaml and the credentials its `*_env` keys name.
enum SinkWiring {
    static let names = ["capi", "audiences", "crm"]

    static func register(into destinations: inout Destinations, store: any Store, env: [String: String], client: HTTPClient,
                         logger: Logger) {
        let listed = (env["ARRIWA_SINKS"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let wanted = listed.contains("all") ? names : names.filter(listed.contains)
        for unknown in listed where unknown != "all" && !names.contains(unknown) && !unknown.isEmpty {
            logger.warning("ARRIWA_SINKS names an unknown sink", metadata: ["sink": "\(unknown)", "known": "\(names.joined(separator: ","))"])
        }
        guard !wanted.isEmpty else { return }
        let configs = SinkConfigs(store: store) { env[$0] }
        for name in wanted {
            switch name {
            case "capi": destinations.sinks[name] = CAPISink(configs: configs, client: client)
            case "audiences": destinations.sinks[name] = AudienceSink(configs: configs, client: client)
            default: destinations.sinks[name] = KommoSink(configs: configs, client: client, phoneNumber: phoneNumbers(store: store, env: env))
            }
        }
        logger.info("conversion sinks configured", metadata: ["sinks": "\(wanted.joined(separator: ","))"])
    }

    /// The lead's phone number for the CRM contact: its sealed address opened with
    /// ARRIWA_CONTACT_KEY (nil without the key, for non-phone addresses, or when unreadable).
    static func phoneNumbers(store: any Store, env: [String: String]) -> @Sendable (String, String) async -> String? {
        guard let sealer = try? AddressSealer(environment: env) else { return { _, _ in nil } }
        return { tenant, lane in
            guard let address = try? await store.contactAddress(tenant: tenant, lane: lane), address.kind == .phone,
                  let number = try? sealer.open(address.sealed) else { return nil }
            return Phone.normalize(number)
        }
    }
}
