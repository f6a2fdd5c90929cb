import Foundation

/// The text of one loaded file, kept so diagnostics can quote the offending line.
public struct SourceFile: Sendable {
    public let path: String
    public let text: String

    public init(path: String, text: String) {
        self.path = path
        self.text = text
    }

    /// Reads a file as UTF-8. Throws `LoadError` naming the file when it cannot be read.
    public static func read(path: String) throws(LoadError) -> SourceFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError(path: path, message: "cannot read file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw LoadError(path: path, message: "file is not valid UTF-8")
        }
        return SourceFile(path: path, text: text)
    }

    /// The text of a 1-based line without its line break, or nil when out of range.
    public func line(_ number: Int) -> String? {
        guard number >= 1 else { return nil }
        var current = 1
        var start = text.startIndex
        while current < number {
            guard let newline = text[start...].firstIndex(of: "\n") else { return nil }
            start = text.index(after: newline)
            current += 1
        }
        let end = text[start...].firstIndex(of: "\n") ?? text.endIndex
        var line = String(text[start..<end])
        if line.hasSuffix("\r") { line.removeLast() }
        return line
    }

    /// All lines, split once (for suppression comments and the like).
    public var lines: [Substring] {
        text.split(separator: "\n", omittingEmptySubsequences: false)
    }
}

/// A file that could not be read at all (missing, unreadable, not UTF-8).
public struct LoadError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}
