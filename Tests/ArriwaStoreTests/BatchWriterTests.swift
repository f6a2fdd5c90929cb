import Testing
@testable import ArriwaStore

/// BatchWriter: concurrent callers are written together, at most `maxInFlight` batches at once,
/// each caller answered with its own item's output.
@Suite struct BatchWriterTests {
    /// Counts the writes running at once and every item written.
    actor WriteLog {
        var running = 0
        var mostAtOnce = 0
        var written: [Int] = []
        var batches = 0

        func begin(_ items: [Int]) {
            running += 1
            mostAtOnce = max(mostAtOnce, running)
            written += items
            batches += 1
        }

        func end() { running -= 1 }
    }

    func run(maxInFlight: Int, callers: Int) async throws -> (outputs: [Int: Int], log: WriteLog) {
        let writer = BatchWriter<Int, Int>(maxBatch: 8, maxInFlight: maxInFlight)
        let log = WriteLog()
        let outputs = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for n in 0..<callers {
                group.addTask {
                    let output = try await writer.submit(n) { items in
                        await log.begin(items)
                        try await Task.sleep(for: .milliseconds(5))
                        await log.end()
                        return items.map { $0 * 10 }
                    }
                    return (n, output)
                }
            }
            var outputs: [Int: Int] = [:]
            for try await (n, output) in group { outputs[n] = output }
            return outputs
        }
        return (outputs, log)
    }

    @Test(arguments: [1, 3])
    func batchesInFlightNeverExceedTheLimitAndEveryCallerGetsItsOwnOutput(maxInFlight: Int) async throws {
        let (outputs, log) = try await run(maxInFlight: maxInFlight, callers: 60)
        #expect(outputs.count == 60)
        #expect(outputs.allSatisfy { $0.value == $0.key * 10 })
        #expect(await log.written.sorted() == Array(0..<60), "each item written exactly once")
        #expect(await log.mostAtOnce <= maxInFlight)
        #expect(await log.batches < 60, "concurrent callers were grouped")
        if maxInFlight > 1 { #expect(await log.mostAtOnce > 1, "more than one batch was in flight") }
    }

    @Test func aFailedBatchFailsItsCallersAndTheNextBatchStillRuns() async throws {
        let writer = BatchWriter<Int, Int>(maxBatch: 4, maxInFlight: 1)
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            _ = try await writer.submit(1) { _ in throw Refused() }
        }
        #expect(try await writer.submit(2) { items in items } == 2)
    }
}
