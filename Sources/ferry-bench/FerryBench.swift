import ArgumentParser
import Foundation

/// `ferry-bench`: the benchmark harness behind scripts/bench-agent and scripts/bench-http.
/// It links the same library modules as `ferry`, but is not part of the product.
@main
struct FerryBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ferry-bench",
        abstract: "Benchmark drivers for scripts/bench-* (not part of the ferry product).",
        subcommands: [AgentUnpackBenchCommand.self, AgentBenchFixtureCommand.self, HTTPBenchCommand.self])
}

/// Prints `object` as one line of JSON on stdout, keys sorted.
func printJSON(_ object: Any) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    print(String(decoding: data, as: UTF8.self))
}
