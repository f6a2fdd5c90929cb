import ArriwaStore
import Foundation
import Testing

/// Opening a store that cannot work fails fast, with an error that names the place and never the
/// password.
@Suite("Store opening")
struct StoreOpeningTests {
    @Test("an unreachable PostgreSQL fails fast with .unavailable, without the password")
    func unreachablePostgres() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        let error = await #expect(throws: StoreError.self) {
            _ = try await PostgresStore.open(url: "postgres://arriwa:s3cret@127.0.0.1:1/arriwa",
                                             configuration: .init(connectTimeout: .seconds(1)), logger: StoreFixture.logger)
        }
        // Bounded (an unbounded open hung for over a minute); generous because a CI machine running
        // the crash tests' server processes beside this suite stretches every retry.
        #expect(clock.now - start < .seconds(60))
        #expect(error?.code == .unavailable)
        #expect(error.map { !"\($0)".contains("s3cret") && "\($0)".contains("127.0.0.1:1/arriwa") } == true)
    }

    @Test("a SQLite path that cannot be created fails with .unavailable naming it")
    func unopenableSQLite() async throws {
        let error = await #expect(throws: StoreError.self) {
            _ = try await SQLiteStore.open(path: "/dev/null/arriwa/store.db", logger: StoreFixture.logger)
        }
        #expect(error?.code == .unavailable)
        #expect(error.map { "\($0)".contains("/dev/null/arriwa/store.db") } == true)
    }

    @Test("StoreURL.open builds the store the URL names")
    func factory() async throws {
        let memory = try await StoreURL.open(.memory, logger: StoreFixture.logger)
        #expect(memory.kind == "memory")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("arriwa-sqlite-\(UUID().uuidString)/a.db").path
        let sqlite = try await StoreURL.open(.sqlite(path: path), logger: StoreFixture.logger)
        #expect(sqlite.kind == "sqlite")
        #expect(try await sqlite.migrate() == [1, 2])
        #expect(try await sqlite.migrate() == [])
        try await sqlite.shutdown()
        // Reopening the file finds the schema.
        let again = try await StoreURL.open(.sqlite(path: path), logger: StoreFixture.logger)
        #expect(try await again.schemaVersion() == 2)
        try await again.shutdown()
        try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path)
    }
}
