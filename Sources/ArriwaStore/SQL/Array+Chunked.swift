extension Array {
    /// Consecutive slices of at most `size` elements (multi-row statements are split into chunks
    /// below the database's parameter limit).
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        guard size > 0, !isEmpty else { return isEmpty ? [] : [self[...]] }
        return stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
