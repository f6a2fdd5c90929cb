import Foundation

/// The parts of a `postgres://user:password@host:port/database?sslmode=…` URL. `sslmode` is
/// `disable` (the default for loopback hosts), `prefer` (the default elsewhere) or `require`;
/// `host=/path/to/socket/dir` connects through a Unix socket.
struct PostgresURL: Sendable {
    enum TLSMode: String, Sendable {
        case disable, prefer, require
    }

    var host: String
    var port: Int
    var user: String
    var password: String?
    var database: String
    var tls: TLSMode
    /// A Unix socket path (`{dir}/.s.PGSQL.{port}`), when the URL names a socket directory.
    var socketPath: String?

    init(_ text: String) throws {
        let redacted = StoreURL.redacted(text)
        guard let components = URLComponents(string: text), let scheme = components.scheme, scheme == "postgres" || scheme == "postgresql" else {
            throw StoreError(.configuration, "not a PostgreSQL URL: \(redacted) (expected postgres://user:password@host:port/database)")
        }
        let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
        host = components.host.flatMap { $0.isEmpty ? nil : $0 } ?? "localhost"
        port = components.port ?? 5432
        user = components.user?.removingPercentEncoding ?? "postgres"
        password = components.password?.removingPercentEncoding
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = path.removingPercentEncoding.flatMap { $0.isEmpty ? nil : $0 } ?? user
        if let socketDirectory = query["host"], socketDirectory.hasPrefix("/") {
            socketPath = "\(socketDirectory)/.s.PGSQL.\(port)"
        }
        let loopback = ["localhost", "127.0.0.1", "::1", "[::1]"].contains(host) || socketPath != nil
        if let mode = query["sslmode"] {
            switch mode {
            case "disable", "allow": tls = .disable
            case "prefer": tls = .prefer
            case "require", "verify-ca", "verify-full": tls = .require
            default: throw StoreError(.configuration, "unknown sslmode '\(mode)' in \(redacted): use disable, prefer or require")
            }
        } else {
            tls = loopback ? .disable : .prefer
        }
    }

    /// `host:port/database` for messages (never the password).
    var endpoint: String { socketPath.map { "\($0) (\(database))" } ?? "\(host):\(port)/\(database)" }
}
