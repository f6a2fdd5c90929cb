public import Logging
import PostgresNIO

/// Creating and dropping whole databases, for throwaway test databases (and `arriwa` tooling).
/// Names are restricted to `[a-z0-9_]` because DDL cannot take them as parameters.
public enum PostgresAdmin {
    public static func createDatabase(_ name: String, adminURL: String, logger: Logger) async throws {
        try checkName(name)
        try await run("CREATE DATABASE \(name)", adminURL: adminURL, logger: logger)
    }

    /// Drops the database, closing its remaining connections (PostgreSQL 13+).
    public static func dropDatabase(_ name: String, adminURL: String, logger: Logger) async throws {
        try checkName(name)
        try await run("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", adminURL: adminURL, logger: logger)
    }

    /// The admin URL with its database replaced by `name`.
    public static func url(_ adminURL: String, database name: String) throws -> String {
        guard let slash = adminURL.range(of: "/", options: [], range: adminURL.range(of: "://").map { $0.upperBound..<adminURL.endIndex }) else {
            return adminURL + "/" + name
        }
        let query = adminURL[slash.upperBound...].firstIndex(of: "?").map { String(adminURL[$0...]) } ?? ""
        return String(adminURL[..<slash.lowerBound]) + "/" + name + query
    }

    private static func checkName(_ name: String) throws {
        guard !name.isEmpty, name.count <= 63, name.allSatisfy({ ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "_" }) else {
            throw StoreError(.configuration, "database name '\(name)' must be 1–63 characters of a-z, 0-9 and _")
        }
    }

    private static func run(_ sql: String, adminURL: String, logger: Logger) async throws {
        let store = try await PostgresStore.open(url: adminURL, configuration: .init(maximumConnections: 1), logger: logger)
        do {
            try await store.rows(PostgresQuery(unsafeSQL: sql))
        } catch {
            try? await store.shutdown()
            throw error
        }
        try await store.shutdown()
    }
}
