import ArriwaStore
import Testing

@Suite("Store URLs")
struct StoreURLTests {
    @Test("postgres, sqlite and memory URLs parse; unknown schemes are refused without leaking the password")
    func parse() throws {
        #expect(try StoreURL("postgres://u:secret@localhost:5432/arriwa") == .postgres("postgres://u:secret@localhost:5432/arriwa"))
        #expect(try StoreURL("postgresql://localhost/arriwa") == .postgres("postgresql://localhost/arriwa"))
        #expect(try StoreURL("sqlite:./arriwa.db") == .sqlite(path: "./arriwa.db"))
        #expect(try StoreURL("sqlite:///var/lib/arriwa.db") == .sqlite(path: "/var/lib/arriwa.db"))
        #expect(try StoreURL("memory:") == .memory)
        let error = #expect(throws: StoreError.self) { try StoreURL("mysql://u:secret@db/arriwa") }
        #expect(error?.code == .configuration)
        #expect(error.map { !"\($0)".contains("secret") } == true)
        #expect(throws: StoreError.self) { try StoreURL("sqlite:") }
        #expect(StoreURL.redacted("postgres://u:secret@h/db") == "postgres://u:***@h/db")
        #expect(StoreURL.redacted("postgres://h/db") == "postgres://h/db")
    }
}
