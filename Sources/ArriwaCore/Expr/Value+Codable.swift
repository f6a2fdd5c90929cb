/// Values persist as one-key objects that keep their type: `{"s":"Q1"}`, `{"i":3}`, `{"n":0.8}`,
/// `{"b":true}`, `{"d":60000}` (duration ms), `{"t":1714564800000}` (timestamp ms), `{"z":null}`,
/// `{"l":[...]}`, `{"m":{...}}`.
extension Value: Codable {
    private enum Tag: String, CodingKey {
        case s, i, n, b, d, t, z, l, m
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Tag.self)
        guard let tag = container.allKeys.first, container.allKeys.count == 1 else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "a value is an object with exactly one of s, i, n, b, d, t, z, l, m"))
        }
        switch tag {
        case .s: self = .string(try container.decode(String.self, forKey: tag))
        case .i: self = .int(try container.decode(Int64.self, forKey: tag))
        case .n: self = .number(try container.decode(Double.self, forKey: tag))
        case .b: self = .bool(try container.decode(Bool.self, forKey: tag))
        case .d: self = .duration(try container.decode(Int64.self, forKey: tag))
        case .t: self = .timestamp(try container.decode(Int64.self, forKey: tag))
        case .z: self = .null
        case .l: self = .list(try container.decode([Value].self, forKey: tag))
        case .m: self = .map(try container.decode([String: Value].self, forKey: tag))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Tag.self)
        switch self {
        case .string(let s): try container.encode(s, forKey: .s)
        case .int(let i): try container.encode(i, forKey: .i)
        case .number(let d): try container.encode(d, forKey: .n)
        case .bool(let b): try container.encode(b, forKey: .b)
        case .duration(let ms): try container.encode(ms, forKey: .d)
        case .timestamp(let ms): try container.encode(ms, forKey: .t)
        case .null: try container.encodeNil(forKey: .z)
        case .list(let elements): try container.encode(elements, forKey: .l)
        case .map(let entries): try container.encode(entries, forKey: .m)
        }
    }
}
