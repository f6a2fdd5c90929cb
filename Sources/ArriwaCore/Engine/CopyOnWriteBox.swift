/// The heap box of a value type that keeps all its fields in one copy-on-write allocation
/// (`SessionState`, `OutboundMessage`, `Emission`, `InboundMessage`): copying the value retains
/// one box instead of every field; the first write after a copy copies the fields.
final class CopyOnWriteBox<Fields: Sendable>: @unchecked Sendable {
    // Mutated only through the owning value's accessors after `makeUnique` (copy-on-write), so no
    // two values ever write one box.
    @exclusivity(unchecked) var fields: Fields

    init(_ fields: Fields) {
        self.fields = fields
    }

    /// Makes `box` its holder's own before a write.
    @inline(__always)
    static func makeUnique(_ box: inout CopyOnWriteBox<Fields>) {
        if !isKnownUniquelyReferenced(&box) { box = CopyOnWriteBox(box.fields) }
    }
}
