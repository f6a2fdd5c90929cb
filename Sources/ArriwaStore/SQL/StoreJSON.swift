import Foundation

/// JSON coding of the values the SQL stores keep as documents (SessionState, EngineEvent, Effect,
/// TimerSpec, flow files, attribution), through their Codable conformances. One format for both
/// dialects, so a row written by one binary reads back exactly in another.
enum StoreJSON {
    static func encode<Value: Encodable>(_ value: Value, what: String) throws -> String {
        let encoder = JSONEncoder()
        // Non-finite confidences must not make a commit fail; they round-trip as strings.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "+Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        do {
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        } catch {
            throw StoreError(.corrupt, "cannot encode \(what) as JSON: \(error)")
        }
    }

    /// Decodes a stored document; a failure names the table and the row's key.
    static func decode<Value: Decodable>(_ type: Value.Type, from text: String, table: String, key: String) throws -> Value {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "+Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        do {
            return try decoder.decode(type, from: Data(text.utf8))
        } catch {
            throw StoreError(.corrupt, "\(table) row \(key): stored \(Value.self) does not decode: \(error)")
        }
    }
}
