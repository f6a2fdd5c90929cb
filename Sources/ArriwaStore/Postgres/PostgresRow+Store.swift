import PostgresNIO

/// Named, typed column access; a value that does not decode is a corrupt row, not a crash.
struct StoredRow {
    let row: PostgresRandomAccessRow
    let table: String

    init(_ row: PostgresRow, table: String) {
        self.row = row.makeRandomAccess()
        self.table = table
    }

    func get<T: PostgresDecodable>(_ name: String, _ type: T.Type = T.self) throws -> T {
        do {
            return try row[name].decode(T.self, context: .default)
        } catch {
            throw StoreError(.corrupt, "\(table).\(name) does not decode as \(T.self): \(String(reflecting: error).prefix(200))")
        }
    }

    func optional<T: PostgresDecodable>(_ name: String, _ type: T.Type = T.self) throws -> T? {
        guard row[name].bytes != nil else { return nil }
        return try get(name, T.self)
    }
}

/// Builds one parameterised statement from pieces: `bind` appends a value and returns its
/// placeholder, so SQL text and bindings cannot drift apart.
struct StatementBuilder {
    private(set) var sql = ""
    private(set) var bindings = PostgresBindings()
    private var count = 0

    mutating func append(_ text: String) { sql += text }

    mutating func bind<Value: PostgresDynamicTypeEncodable>(_ value: Value) -> String {
        bindings.append(value)
        count += 1
        return "$\(count)"
    }

    mutating func bind<Value: PostgresDynamicTypeEncodable>(_ value: Value?) -> String {
        bindings.append(value)
        count += 1
        return "$\(count)"
    }

    var query: PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: bindings) }
}
