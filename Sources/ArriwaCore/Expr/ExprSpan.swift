/// A position inside an expression (or template) string: a 0-based offset in Swift `Character`s
/// (extended grapheme clusters) from the start of the text, and a length in `Character`s.
public struct ExprSpan: Sendable, Hashable, CustomStringConvertible {
    public var offset: Int
    public var length: Int

    public init(offset: Int, length: Int) {
        self.offset = offset
        self.length = length
    }

    /// The offset just past the span.
    public var end: Int { offset + length }

    /// The smallest span covering both `self` and `other`.
    public func union(_ other: ExprSpan) -> ExprSpan {
        let start = min(offset, other.offset)
        return ExprSpan(offset: start, length: max(end, other.end) - start)
    }

    /// The span moved right by `delta` characters (used to make expression spans template-relative).
    public func shifted(by delta: Int) -> ExprSpan {
        ExprSpan(offset: offset + delta, length: length)
    }

    public var description: String { "\(offset)..<\(end)" }
}
