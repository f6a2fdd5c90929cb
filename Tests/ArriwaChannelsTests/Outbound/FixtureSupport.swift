import Foundation
import Testing
@testable import ArriwaChannels

/// The test target's copies of the provider fixtures (metadata keys stripped).
enum Fixture {
    static func data(_ name: String) throws -> Data {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"),
                               "fixture \(name).json is missing")
        return try Data(contentsOf: url)
    }

    static func object(_ name: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: data(name)) as? [String: Any])
    }

    /// JSON text with sorted keys: two documents with the same meaning give the same text.
    static func canonical(_ object: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]),
               as: UTF8.self)
    }

    static func canonical(json data: Data) throws -> String {
        try canonical(try JSONSerialization.jsonObject(with: data))
    }
}

/// The `SendFailure` `body` throws (nil when it throws nothing or something else).
func sendFailure(_ body: () throws -> Void) -> SendFailure? {
    do {
        try body()
        return nil
    } catch {
        return error as? SendFailure
    }
}
