import ArriwaStore

/// Opens the store a database URL names. This build has the in-memory store only; the SQLite and
/// PostgreSQL stores arrive with the store branch, which rewires this to `StoreURL.open`.
enum StoreOpening {
    static func open(_ text: String) throws -> any Store {
        let url = try StoreURL(text)
        switch url {
        case .memory:
            return InMemoryStore()
        case .sqlite, .postgres:
            throw StoreError(.configuration,
                             "\(url.redactedDescription): this build has no SQLite or PostgreSQL store yet; use --database-url memory:")
        }
    }
}
