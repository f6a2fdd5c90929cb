/// A turn's undo log (`Turn.Undo`, newest last): the first eight entries live in the turn itself
/// and only a longer log spills into an array, so the usual turn (an answer logs about seven
/// writes) allocates nothing for it.
struct UndoLog {
    private var head = InlineArray<8, Turn.Undo?>(repeating: nil)
    private var headCount = 0
    private var tail: [Turn.Undo] = []

    mutating func append(_ op: Turn.Undo) {
        if headCount < head.count {
            head[headCount] = op
            headCount += 1
        } else {
            tail.append(op)
        }
    }

    /// The newest entry, removed from the log.
    mutating func popLast() -> Turn.Undo? {
        if let op = tail.popLast() { return op }
        guard headCount > 0 else { return nil }
        headCount -= 1
        var op: Turn.Undo?
        swap(&op, &head[headCount])
        return op
    }

    mutating func removeAll() {
        while popLast() != nil {}
    }
}
