public import Logging

/// Where the store lives: `postgres://user:pass@host:port/db`, `sqlite:path` (default
/// `sqlite:./arriwa.db`) or `memory:`.
public enum StoreURL: Sendable, Hashable {
    case postgres(String)
    case sqlite(path: String)
    case memory

    public static let `default` = StoreURL.sqlite(path: "./arriwa.db")

    public init(_ text: String) throws {
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(text)
        } else if text.hasPrefix("sqlite:") {
            var path = String(text.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path.removeFirst(2) }
            guard !path.isEmpty else { throw StoreError(.configuration, "sqlite: URL without a path (use sqlite:./arriwa.db)") }
            self = .sqlite(path: path)
        } else if text == "memory:" || text == "memory" {
            self = .memory
        } else {
            throw StoreError(.configuration, "unknown database URL scheme in '\(StoreURL.redacted(text))': use postgres://…, sqlite:path or memory:")
        }
    }

    /// The URL with any password replaced by `***`, for logs and errors.
    public static func redacted(_ text: String) -> String {
        guard let scheme = text.range(of: "://"), let at = text[scheme.upperBound...].firstIndex(of: "@") else { return text }
        let credentials = text[scheme.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":***" + String(text[at...])
    }

    public var redactedDescription: String {
        switch self {
        case .postgres(let url): StoreURL.redacted(url)
        case .sqlite(let path): "sqlite:\(path)"
        case .memory: "memory:"
        }
    }
}


extension StoreURL {
    /// Builds the store the URL names (not yet migrated: `arriwa migrate` or `serve` call
    /// `migrate()`), e.g. from `ARRIWA_DATABASE_URL`.
    public static func open(_ url: StoreURL, logger: Logger) async throws -> any Store {
        switch url {
        case .memory:
            return InMemoryStore()
        case .sqlite(let path):
            return try await SQLiteStore.open(path: path, logger: logger)
        case .postgres(let text):
            return try await PostgresStore.open(url: text, logger: logger)
        }
    }

    /// Opens the store `ARRIWA_DATABASE_URL` names, or the default `sqlite:./arriwa.db`.
    public static func openFromEnvironment(_ environment: [String: String], logger: Logger) async throws -> any Store {
        let url = try environment["ARRIWA_DATABASE_URL"].map { try StoreURL($0) } ?? .default
        return try await open(url, logger: logger)
    }
}
