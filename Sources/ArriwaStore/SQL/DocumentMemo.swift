import ArriwaCore

/// Decoded documents by their exact stored JSON text, so a document this process encoded a moment
/// ago — an inbound event it appended, an effect a turn queued — is not decoded again when a worker
/// claims the entry or the dispatcher the row (JSON decoding is the largest client-side cost of both).
///
/// Keyed by the text itself, so it can never answer wrongly: a stored text is immutable, and the
/// value remembered for it is the one it was encoded from, which decodes back equal (the stores'
/// round-trip tests). A miss only costs the decode it saves. A full memo starts over (cheap; entries
/// are wanted within milliseconds of being remembered).
struct DocumentMemo<Value: Sendable>: Sendable {
    private var values: [String: Value] = [:]
    let capacity: Int

    init(capacity: Int = 4_096) {
        self.capacity = max(1, capacity)
    }

    func value(_ text: String) -> Value? {
        values[text]
    }

    mutating func remember(_ text: String, _ value: Value) {
        if values.count >= capacity, values[text] == nil { values.removeAll(keepingCapacity: true) }
        values[text] = value
    }
}

/// The memos of a store that is not an actor (PostgreSQL): one hop per batch.
actor SharedDocumentMemos {
    private var events = DocumentMemo<EngineEvent>()
    private var effects = DocumentMemo<Effect>()

    func remember(events pairs: [(String, EngineEvent)]) {
        for (text, event) in pairs { events.remember(text, event) }
    }

    func remember(effects pairs: [(String, Effect)]) {
        for (text, effect) in pairs { effects.remember(text, effect) }
    }

    func events(_ texts: [String]) -> [EngineEvent?] {
        texts.map { events.value($0) }
    }

    func effects(_ texts: [String]) -> [Effect?] {
        texts.map { effects.value($0) }
    }
}
