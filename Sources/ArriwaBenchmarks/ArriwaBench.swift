import ArgumentParser

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

}
