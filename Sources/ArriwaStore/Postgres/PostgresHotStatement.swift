import PostgresNIO

/// A statement of the hot path whose text never changes: prepared once per connection (PostgresNIO
/// caches it by name), so the server parses and analyses it once instead of on every execution —
/// an unnamed statement is parsed, analysed and described anew each time (~4 % of the machine's
/// CPU in funnel-5 went to parsing and analysing before these were named). Still planned at every
/// execution (`plan_cache_mode = force_custom_plan`, see `PostgresStore.open`).
///
/// The text is the one the call site's builder produces (`Tag.sql`, built once from the same
/// function with placeholder values), so it cannot drift from the bindings the call site passes.
protocol HotStatementTag {
    static var name: String { get }
    static var sql: String { get }
    /// The parameters' types, in order (explicit, so the server never infers another width).
    static var types: [PostgresDataType] { get }
}

struct HotStatement<Tag: HotStatementTag>: PostgresPreparedStatement {
    typealias Row = PostgresRow

    static var name: String { Tag.name }
    static var sql: String { Tag.sql }
    static var bindingDataTypes: [PostgresDataType] { Tag.types }

    let bindings: PostgresBindings

    /// The statement for a query built by the tag's own builder.
    init(_ query: PostgresQuery) {
        assert(query.sql == Tag.sql, "\(Tag.name): the query's text is not the tag's")
        bindings = query.binds
    }

    func makeBindings() throws -> PostgresBindings { bindings }

    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

extension PostgresStore {
    /// Runs a hot statement built by `Tag`'s builder.
    func hot<Tag: HotStatementTag>(_ tag: Tag.Type, _ query: PostgresQuery) async throws -> [PostgresRow] {
        try await prepared(HotStatement<Tag>(query))
    }
}
