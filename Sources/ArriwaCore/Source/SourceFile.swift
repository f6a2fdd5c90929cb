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
        guard let text = String(validating: data, as: UTF8.self) else {
            throw LoadError(path: path, message: "file is not valid UTF-8")
        }
        return SourceFile(path: path, text: text)
    }

    /// The text of a 1-based line without its line break (LF or CRLF), or nil when out of range.
    public func line(_ number: Int) -> String? {
        let all = lines
        guard number >= 1, number <= all.count else { return nil }
        return String(all[number - 1])
    }

    /// All lines without their breaks. Split on bytes: Swift reads "\r\n" as one Character,
    /// so splitting on the Character "\n" would miss CRLF line ends.
    public var lines: [Substring] {
        text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { bytes in
            var line = Substring(bytes)
            if line.utf8.last == UInt8(ascii: "\r") { line = Substring(line.utf8.dropLast()) }
            return line
        }
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

extension String {
    /// True when the text has a `${` interpolation (a byte search, cheap on hot paths).
    var hasInterpolation: Bool {
        var previous: UInt8 = 0
        for byte in utf8 {
            if previous == UInt8(ascii: "$") && byte == UInt8(ascii: "{") { return true }
            previous = byte
        }
        return false
    }

    func containsByte(_ ascii: Unicode.Scalar) -> Bool { utf8.contains(UInt8(ascii: ascii)) }
}

extension String {
    /// Substring search over UTF-8 bytes without Foundation (which bridges to CFString and is
    /// an order of magnitude slower on whole files).
    public func containsBytes(_ needle: String) -> Bool {
        let pattern = Array(needle.utf8)
        guard let first = pattern.first else { return true }
        var found = false
        var mutableSelf = self
        mutableSelf.withUTF8 { haystack in
            guard haystack.count >= pattern.count else { return }
            var i = 0
            let last = haystack.count - pattern.count
            while i <= last {
                if haystack[i] == first {
                    var j = 1
                    while j < pattern.count && haystack[i + j] == pattern[j] { j += 1 }
                    if j == pattern.count { found = true; return }
                }
                i += 1
            }
        }
        return found
    }
}
