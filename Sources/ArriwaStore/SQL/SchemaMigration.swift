/// One versioned schema change: statements applied in one transaction, recorded in
/// `schema_migrations(version, applied_at)`. Versions only grow; a shipped migration is never
/// edited (add a new one).
struct SchemaMigration: Sendable {
    var version: Int
    var name: String
    var statements: [String]
}

enum MigrationPlan {
    /// The migrations still to apply, in order. A database that already has versions this binary
    /// does not know was migrated by a newer release: refuse rather than run on a schema we do not
    /// understand.
    static func pending(applied: Set<Int>, available: [SchemaMigration], database: String) throws -> [SchemaMigration] {
        let known = Set(available.map(\.version))
        if let newest = applied.max(), let ours = known.max(), newest > ours {
            throw StoreError(.migration, "\(database) has schema version \(newest), newer than this binary's \(ours): upgrade arriwa")
        }
        return available.filter { !applied.contains($0.version) }.sorted { $0.version < $1.version }
    }
}
