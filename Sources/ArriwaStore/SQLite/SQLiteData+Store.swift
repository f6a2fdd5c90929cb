import Foundation
import SQLiteNIO

extension SQLiteData {
    static func int64(_ value: Int64) -> SQLiteData { .integer(SQLiteInt64(value)) }
    static func int64(_ value: Int64?) -> SQLiteData { value.map { .integer(SQLiteInt64($0)) } ?? .null }
    static func text(_ value: String?) -> SQLiteData { value.map { .text($0) } ?? .null }
    static func bool(_ value: Bool) -> SQLiteData { .integer(value ? 1 : 0) }
    static func data(_ value: Data?) -> SQLiteData { value.map { .blob(ByteBuffer(bytes: $0)) } ?? .null }
}

/// Typed column access; a missing or mistyped column is a corrupt row, not a crash.
extension SQLiteRow {
    func int(_ name: String) throws -> Int64 {
        guard let value = column(name)?.integer else { throw StoreError(.corrupt, "SQLite column \(name) is not an integer") }
        return Int64(value)
    }

    func optionalInt(_ name: String) -> Int64? {
        guard let data = column(name), !data.isNull else { return nil }
        return data.integer.map(Int64.init)
    }

    func string(_ name: String) throws -> String {
        guard let value = column(name)?.string else { throw StoreError(.corrupt, "SQLite column \(name) is not text") }
        return value
    }

    func optionalString(_ name: String) -> String? {
        guard let data = column(name), !data.isNull else { return nil }
        return data.string
    }

    func optionalData(_ name: String) -> Data? {
        guard let data = column(name), !data.isNull else { return nil }
        if let buffer = data.blob { return Data(buffer.readableBytesView) }
        return data.string.map { Data($0.utf8) }
    }

    func bool(_ name: String) throws -> Bool { try int(name) != 0 }
}
