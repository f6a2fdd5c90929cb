/// Why a tenant could not be deployed or a stored version could not be run.
public struct DeploymentError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The directory is missing, not a tenant, or a file could not be read.
        case unreadable
        /// The validator reported errors; `diagnostics` lists them, compiler style.
        case invalid
        /// The tenant validated but did not compile.
        case compile
        /// No version of the tenant is deployed.
        case notDeployed = "not_deployed"
        /// The stored files do not hash to the stored version (a corrupt or hand-edited row).
        case versionMismatch = "version_mismatch"
    }

    public var code: Code
    public var tenant: String
    public var message: String
    public var diagnostics: [String]

    public init(_ code: Code, tenant: String, _ message: String, diagnostics: [String] = []) {
        self.code = code
        self.tenant = tenant
        self.message = message
        self.diagnostics = diagnostics
    }

    public var description: String {
        var text = "\(tenant): \(code.rawValue): \(message)"
        for line in diagnostics { text += "\n" + line }
        return text
    }
}
