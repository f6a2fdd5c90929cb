public import Foundation
import Crypto

/// Per-tenant webhook secrets, from the environment: `ARRIWA_TENANT_SECRET_<TENANT>` where
/// `<TENANT>` is the tenant id upper-cased with every other character than A–Z and 0–9 turned
/// into `_` (`demo-clinic` → `ARRIWA_TENANT_SECRET_DEMO_CLINIC`). A tenant without a secret
/// accepts no webhook. Secrets are never logged.
public struct TenantSecrets: Sendable {
    let lookup: @Sendable (String) -> String?

    public init(lookup: @escaping @Sendable (String) -> String?) {
        self.lookup = lookup
    }

    public static func environment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> TenantSecrets {
        TenantSecrets { tenant in
            guard let value = env[variableName(for: tenant)]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else {
                return nil
            }
            return value
        }
    }

    public static func variableName(for tenant: String) -> String {
        let suffix = tenant.uppercased().unicodeScalars.map { scalar -> String in
            (("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)) ? String(scalar) : "_"
        }.joined()
        return "ARRIWA_TENANT_SECRET_" + suffix
    }

    public func secret(for tenant: String) -> String? { lookup(tenant) }

    /// True when `presented` is the tenant's secret (compared in constant time).
    public func verify(tenant: String, presented: String?) -> Bool {
        guard let expected = lookup(tenant), let presented else { return false }
        let a = SHA256.hash(data: Data(expected.utf8))
        let b = SHA256.hash(data: Data(presented.utf8))
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}
