import ArriwaChannels
import ArriwaServer
import ArriwaStore
import Logging

/// The provider webhook routes of `arriwa serve`: credentials of the tenants deployed at start
/// (from the variables their tenant.yaml names) and the contact sealer from ARRIWA_CONTACT_KEY.
enum ProviderSetup {
    struct SetupError: Error, CustomStringConvertible {
        var description: String
    }

    /// nil when no deployed tenant declares a `provider:`, or when ARRIWA_CONTACT_KEY is not set
    /// (warned: leads' numbers are only ever stored sealed, so the routes stay off); throws when
    /// the key is set but unusable.
    static func routes(for records: [FlowVersionRecord], env: [String: String], logger: Logger) throws -> ProviderRoutes? {
        var tenants: [String: ProviderCredentials] = [:]
        for record in records {
            guard let yaml = record.files["tenant.yaml"] else { continue }
            let credentials = ProviderCredentials.from(tenantYAML: yaml, environment: env)
            guard credentials.kind != nil else { continue }
            tenants[record.tenant] = credentials
            if credentials.webhookSecret == nil {
                logger.warning("no provider webhook secret for the tenant: its /webhook routes refuse every request",
                               metadata: ["tenant": "\(record.tenant)", "set": "tenant.yaml provider.webhook_secret_env"])
            }
            if credentials.kind == "cloud_api", credentials.appSecret == nil {
                logger.warning("no Cloud API app secret for the tenant: X-Hub-Signature-256 is not checked",
                               metadata: ["tenant": "\(record.tenant)", "set": "tenant.yaml provider.app_secret_env"])
            }
        }
        guard !tenants.isEmpty else { return nil }
        do throws(AddressSealer.SealerError) {
            return ProviderRoutes(directory: ProviderDirectory(tenants), sealer: try AddressSealer(environment: env))
        } catch .missingKey {
            logger.warning("provider webhooks are off: \(AddressSealer.SealerError.missingKey)",
                           metadata: ["tenants": "\(tenants.keys.sorted().joined(separator: ","))"])
            return nil
        } catch {
            throw SetupError(description: error.description)
        }
    }
}
