import ArriwaTestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `arriwa serve` as a child process: started, killed with SIGKILL, restarted, stopped with
/// SIGTERM. Its output goes to a log file the test prints on failure.
final class ServeProcess: @unchecked Sendable {
    // @unchecked: used from one test task at a time; Process itself is not Sendable.
    let binary: URL
    let arguments: [String]
    let environment: [String: String]
    let port: Int
    let log: URL
    private var process: Process?
    private(set) var starts = 0

    init(binary: URL, arguments: [String], environment: [String: String], port: Int, log: URL) {
        self.binary = binary
        self.arguments = arguments
        self.environment = environment
        self.port = port
        self.log = log
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
    }

    /// The `arriwa` executable `swift build` put beside the test bundle.
    static func locateBinary() -> URL? { BuiltBinary.arriwa }

    /// A port nobody listens on right now.
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        return bound ? Int(UInt16(bigEndian: address.sin_port)) : Int.random(in: 20_000...40_000)
    }

    func start() throws {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        handle.write(Data("---- start \(starts + 1)\n".utf8))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        self.process = process
        starts += 1
    }

    /// kill -9: no shutdown code runs.
    func crash() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    /// SIGTERM and wait for the graceful exit.
    func stop() -> Int32? {
        guard let process else { return nil }
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
        self.process = nil
        return process.terminationStatus
    }

    var isRunning: Bool { process?.isRunning ?? false }

    func tail(_ lines: Int = 60) -> String {
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }
}
