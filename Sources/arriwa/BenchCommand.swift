import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run the product's benchmark workloads (../shared/bench/WORKLOAD.md).",
        discussion: "Build in release mode for real figures: swift run -c release arriwa bench lint",
        subcommands: [LintBench.self]
    )
}

/// lint-1k: generate ~1,000 flow files of ~50 nodes with their manifests, then validate them
/// all in one cold `arriwa validate` process; report wall time and its peak memory.
struct LintBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "lint-1k: validate 1,000 generated flow files (~50 nodes each) in one cold process.",
        discussion: """
        Generates the corpus (tenants of --per-tenant flows, each tenant with its tenant.yaml
        and manifest.yaml), then runs `arriwa validate <corpus> --quiet` as a child process
        --runs times. Reports wall time per run (min and median) and the child's peak
        resident memory. Targets: < 1 s wall and < 200 MB, release build.
        """
    )

    @Option(help: "Number of flow files.") var files = 1_000
    @Option(help: "Flow files per tenant directory.") var perTenant = 10
    @Option(help: "Mean nodes per flow (sizes vary ±10).") var nodes = 50
    @Option(help: "How many cold runs to time.") var runs = 5
    @Option(help: "Where to write the corpus (default: a temporary directory, removed afterwards).") var dir: String?

    func run() async throws {
        let corpus = dir ?? (NSTemporaryDirectory() as NSString).appendingPathComponent("arriwa-lint-1k-\(getpid())")
        let generator = LintCorpus(flows: files, flowsPerTenant: perTenant, meanNodes: nodes)
        let made = try generator.write(to: corpus)
        print("corpus: \(made.flows) flow files, \(made.nodes) nodes (mean \(made.nodes / max(made.flows, 1))), \(made.tenants) tenants, \(made.bytes / 1024) KiB at \(corpus)")
        defer { if dir == nil { try? FileManager.default.removeItem(atPath: corpus) } }

        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.resolvingSymlinksInPath()
        var walls: [Double] = []
        for run in 1...max(1, runs) {
            let process = Process()
            process.executableURL = executable
            process.arguments = ["validate", corpus, "--quiet", "--color", "never"]
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            let start = DispatchTime.now().uptimeNanoseconds
            try process.run()
            let output = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            walls.append(wall)
            let summary = String(decoding: output, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
            print(String(format: "run %d: %.3f s wall, exit %d — %@", run, wall, process.terminationStatus, summary))
            guard process.terminationStatus == 0 else {
                throw BenchFailure(message: "the generated corpus did not validate cleanly (exit \(process.terminationStatus)); run `arriwa validate \(corpus)` to see why")
            }
        }
        var usage = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &usage)
        let peakMB = Double(usage.ru_maxrss) / 1024  // Linux reports KiB
        let sorted = walls.sorted()
        print(String(format: "lint-1k: %d files, min %.3f s, median %.3f s wall; peak RSS %.1f MB (targets: < 1 s, < 200 MB)",
                     made.flows, sorted[0], sorted[sorted.count / 2], peakMB))
    }
}

/// A benchmark that could not produce a figure; printed without usage text, exit 1.
struct BenchFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
