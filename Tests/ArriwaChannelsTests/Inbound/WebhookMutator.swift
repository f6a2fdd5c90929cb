import ArriwaChannels
import ArriwaCore

/// Seeded random mutations of a webhook body for the fuzz test: byte flips, truncation, type
/// changes, deleted and duplicated keys, huge strings. Tree mutations work on an ordered tree
/// that can hold duplicate keys; the result is serialized back to bytes.
struct WebhookMutator {
    indirect enum Tree {
        case object([(String, Tree)])
        case array([Tree])
        case string(String)
        case number(String)
        case bool(Bool)
        case null

        init(_ json: WebhookJSON) {
            switch json {
            case .object(let members, _): self = .object(members.sorted { $0.key < $1.key }.map { ($0.key, Tree($0.value)) })
            case .array(let items): self = .array(items.map(Tree.init))
            case .string(let text): self = .string(text)
            case .number(let text): self = .number(text)
            case .bool(let flag): self = .bool(flag)
            case .null: self = .null
            }
        }

        func write(into out: inout String) {
            switch self {
            case .object(let members):
                out += "{"
                for (index, member) in members.enumerated() {
                    if index > 0 { out += "," }
                    JSONText.quote(member.0, into: &out)
                    out += ":"
                    member.1.write(into: &out)
                }
                out += "}"
            case .array(let items):
                out += "["
                for (index, item) in items.enumerated() {
                    if index > 0 { out += "," }
                    item.write(into: &out)
                }
                out += "]"
            case .string(let text): JSONText.quote(text, into: &out)
            case .number(let text): out += text
            case .bool(let flag): out += flag ? "true" : "false"
            case .null: out += "null"
            }
        }
    }

    enum Step: Hashable {
        case key(String), index(Int)
    }

    enum Operation: CaseIterable {
        case byteFlip, truncate, typeChange, deleteKey, duplicateKey, hugeString
    }

    var rng: SplitMix64

    init(seed: UInt64) {
        rng = SplitMix64(seed: seed)
    }

    /// The tree of a seed body (a valid JSON body), read once and mutated many times.
    static func tree(_ seed: [UInt8]) -> Tree? {
        (try? WebhookJSON.parse(seed)).map(Tree.init)
    }

    /// One mutant of `seed`: 1–3 operations.
    mutating func mutate(_ seed: Tree) -> [UInt8] {
        var tree = seed
        let operations = (0..<Int.random(in: 1...3, using: &rng)).map { _ in Operation.allCases.randomElement(using: &rng) ?? .byteFlip }
        for operation in operations where ![.byteFlip, .truncate].contains(operation) {
            let paths = Self.paths(tree)
            guard let path = paths.randomElement(using: &rng) else { continue }
            tree = apply(operation, at: path[...], in: tree)
        }
        var text = ""
        tree.write(into: &text)
        var bytes = Array(text.utf8)
        for operation in operations where !bytes.isEmpty {
            switch operation {
            case .byteFlip:
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    let index = Int.random(in: 0..<bytes.count, using: &rng)
                    bytes[index] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
                }
            case .truncate:
                bytes.removeLast(Int.random(in: 1...bytes.count, using: &rng))
            default:
                break
            }
        }
        return bytes
    }

    static func paths(_ tree: Tree, prefix: [Step] = []) -> [[Step]] {
        var out: [[Step]] = prefix.isEmpty ? [] : [prefix]
        switch tree {
        case .object(let members):
            for (key, value) in members { out += paths(value, prefix: prefix + [.key(key)]) }
        case .array(let items):
            for (index, item) in items.enumerated() { out += paths(item, prefix: prefix + [.index(index)]) }
        default:
            break
        }
        return out
    }

    mutating func apply(_ operation: Operation, at path: ArraySlice<Step>, in tree: Tree) -> Tree {
        guard let step = path.first else { return replacement(for: operation, of: tree) }
        let rest = path.dropFirst()
        switch (tree, step) {
        case (.object(var members), .key(let key)):
            guard let index = members.lastIndex(where: { $0.0 == key }) else { return tree }
            if rest.isEmpty, operation == .deleteKey {
                members.removeAll { $0.0 == key }
            } else if rest.isEmpty, operation == .duplicateKey {
                members.insert(members[index], at: Int.random(in: 0...members.count, using: &rng))
            } else {
                // Every copy of a duplicated key gets the same new value, so readers that keep the
                // first and readers that keep the last occurrence see the same document.
                let value = apply(operation, at: rest, in: members[index].1)
                for position in members.indices where members[position].0 == key { members[position].1 = value }
            }
            return .object(members)
        case (.array(var items), .index(let index)) where items.indices.contains(index):
            if rest.isEmpty, operation == .deleteKey {
                items.remove(at: index)
            } else {
                items[index] = apply(operation, at: rest, in: items[index])
            }
            return .array(items)
        default:
            return tree
        }
    }

    mutating func replacement(for operation: Operation, of tree: Tree) -> Tree {
        switch operation {
        case .hugeString:
            let unit = ["x", "é", "👋", "\\", "\"", "\u{0}"].randomElement(using: &rng) ?? "x"
            return .string(String(repeating: unit, count: Int.random(in: 2_000...16_000, using: &rng)))
        case .typeChange:
            let choices: [Tree] = [.null, .bool(Bool.random(using: &rng)), .number(String(Int64.random(in: -1_000_000...Int64.max, using: &rng))),
                                   .number("1e400"), .string(""), .string("15550100456"), .array([]), .object([]), .array([tree])]
            return choices.randomElement(using: &rng) ?? .null
        default:
            return tree
        }
    }
}

/// A small seeded generator (reproducible mutants).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
