import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The PostgreSQL server tests run against: `ARRIWA_TEST_DATABASE_URL` when set (CI starts one),
/// otherwise a throwaway server this process starts once — `initdb` into a temporary directory,
/// `pg_ctl start` on a free loopback port with fsync off, as `nobody` when running as root — and
/// that a detached watchdog stops and deletes when the process exits. Missing binaries are an
/// error, never a skip. Foundation only, so any test target can use it.
public enum PostgresTestServer {
    /// A URL with rights to create databases (tests create one database each).
    public static func adminURL() async throws -> String {
        if let url = ProcessInfo.processInfo.environment["ARRIWA_TEST_DATABASE_URL"], !url.isEmpty { return url }
        return try await Starter.shared.url()
    }

    /// A fresh database name (`arriwa_t_` + 16 random hex digits).
    public static func freshDatabaseName() -> String {
        "arriwa_t_" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    private actor Starter {
        static let shared = Starter()
        private var started: Task<String, any Error>?

        func url() async throws -> String {
            if let started { return try await started.value }
            // Off the cooperative pool: initdb and pg_ctl block for seconds.
            let task = Task {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<String, any Error>) in
                    Thread.detachNewThread { continuation.resume(with: Result { try LocalServer.start() }) }
                }
            }
            started = task
            return try await task.value
        }
    }
}

/// One `initdb` + `pg_ctl start`, synchronous (it runs once per test process).
private enum LocalServer {
    static func start() throws -> String {
        let bin = try binDirectory()
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("arriwa-pg-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let runAs = getuid() == 0 ? "nobody" : nil
        if let runAs {
            // PostgreSQL refuses to run as root: the directory belongs to the user it runs as.
            try run("/bin/chown", ["-R", runAs, root], as: nil, log: nil)
            try run("/bin/chmod", ["755", root], as: nil, log: nil)
        }
        let data = root + "/data", log = root + "/server.log"
        try run(bin + "/initdb", ["-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"], as: runAs, log: root + "/initdb.log")
        var lastError: (any Error)?
        for _ in 0..<3 {
            let port = try freePort()
            let options = "-p \(port) -k \(root) -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                + "-c max_connections=400 -c shared_buffers=64MB"
            do {
                try run(bin + "/pg_ctl", ["-D", data, "-l", log, "-w", "-t", "60", "-o", options, "start"], as: runAs, log: root + "/pg_ctl.log")
                watch(bin: bin, data: data, root: root, runAs: runAs)
                return "postgres://postgres@127.0.0.1:\(port)/postgres?sslmode=disable"
            } catch {
                lastError = error
            }
        }
        let serverLog = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        throw PostgresTestServer.Failure(description: "could not start the test PostgreSQL in \(root): \(lastError.map { "\($0)" } ?? "")\n\(serverLog.suffix(2_000))")
    }

    /// `ARRIWA_PG_BIN`, the newest /usr/lib/postgresql/*/bin, or initdb on PATH.
    static func binDirectory() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        var candidates: [String] = []
        if let bin = environment["ARRIWA_PG_BIN"] { candidates.append(bin) }
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []).compactMap(Int.init).sorted(by: >)
        candidates += versions.map { "/usr/lib/postgresql/\($0)/bin" }
        candidates += (environment["PATH"] ?? "").split(separator: ":").map(String.init)
        if let bin = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0 + "/initdb") && FileManager.default.isExecutableFile(atPath: $0 + "/pg_ctl") }) {
            return bin
        }
        throw PostgresTestServer.Failure(description: """
            PostgreSQL server binaries (initdb, pg_ctl) not found: install postgresql-15 (apt-get install postgresql-15), \
            set ARRIWA_PG_BIN to their directory, or set ARRIWA_TEST_DATABASE_URL to a server the tests may create databases on
            """)
    }

    /// Runs a command to completion through `/bin/sh` with `posix_spawn` and `waitpid`
    /// (Foundation's `Process` never notices the exit of `pg_ctl start`, whose server child keeps
    /// running), output to `log`.
    static func run(_ executable: String, _ arguments: [String], as user: String?, log: String?) throws {
        let command = (user.map { ["/usr/sbin/runuser", "-u", $0, "--"] } ?? []) + [executable] + arguments
        let status = try spawn(command.map(quote).joined(separator: " ") + " </dev/null >\(quote(log ?? "/dev/null")) 2>&1", wait: true)
        guard status == 0 else {
            let text = log.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) } ?? ""
            throw PostgresTestServer.Failure(description: "\(executable) \(arguments.joined(separator: " ")) exited \(status): \(text.suffix(2_000))")
        }
    }

    /// A detached watchdog (its own session, so a Ctrl-C of the tests does not kill it first)
    /// that stops the server and deletes its directory once this process is gone.
    static func watch(bin: String, data: String, root: String, runAs: String?) {
        let stop = (runAs.map { "/usr/sbin/runuser -u \($0) -- " } ?? "") + "\(quote(bin + "/pg_ctl")) -D \(quote(data)) -m immediate stop"
        let script = "while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done; \(stop) >/dev/null 2>&1; rm -rf \(quote(root))"
        _ = try? spawn("/usr/bin/setsid /bin/sh -c \(quote(script)) </dev/null >/dev/null 2>&1 &", wait: true)
    }

    static func quote(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// `/bin/sh -c script`; the exit status when `wait`.
    @discardableResult
    static func spawn(_ script: String, wait: Bool) throws -> Int32 {
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [String](["/bin/sh", "-c", script]).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let spawned = posix_spawn(&pid, "/bin/sh", nil, nil, argv, environ)
        guard spawned == 0 else { throw PostgresTestServer.Failure(description: "posix_spawn /bin/sh failed: \(spawned)") }
        guard wait else { return 0 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { throw PostgresTestServer.Failure(description: "waitpid failed: \(errno)") }
        }
        // WIFEXITED / WEXITSTATUS
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// A loopback TCP port nobody listens on right now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw PostgresTestServer.Failure(description: "socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw PostgresTestServer.Failure(description: "bind() failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw PostgresTestServer.Failure(description: "getsockname() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
