import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

/// `arriwa-bench`: the product's in-process benchmarks (../shared/bench/WORKLOAD.md). Build in
/// release mode for real figures: `swift run -c release arriwa-bench engine`.
@main
struct ArriwaBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "arriwa-bench",
        abstract: "Benchmarks of the Arriwa engine and durable runtime (../shared/bench/WORKLOAD.md).",
        discussion: "Figures are ratios measured in one run on a shared machine, never timed assertions.",
        subcommands: [EngineBenchmark.self, DurableFunnelBenchmark.self, TimersBenchmark.self, IngestBenchmark.self]
    )

    static func main() async {
        if ProcessInfo.processInfo.environment["ARRIWA_NIO_EXECUTOR"] == "1" {
            let installed = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
            FileHandle.standardError.write(Data("NIO executor installed: \(installed)\n".utf8))
        }
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
