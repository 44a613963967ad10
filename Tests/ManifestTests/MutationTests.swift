import Foundation
import Testing
@testable import Manifest

/// Seeded mutations of every signed and unsigned example document through every reader
/// (`FuzzExercise`): no input traps, and every document read writes back as itself.
/// Bounded by default; `FERRY_FUZZ_ITERATIONS=200000 FERRY_FUZZ_SEED=7` runs longer or
/// elsewhere. `scripts/fuzz` runs the same exercise under libFuzzer.
@Suite struct MutationTests {
    static let iterations = Int(ProcessInfo.processInfo.environment["FERRY_FUZZ_ITERATIONS"] ?? "") ?? 3_000
    static let seed = UInt64(ProcessInfo.processInfo.environment["FERRY_FUZZ_SEED"] ?? "") ?? 0x0F3E_2A

    /// The example documents of docs/manifest.md and Ferry's own writes of the fixtures.
    static func corpus() throws -> [[UInt8]] {
        var seeds = try DocsExampleTests.examples().keys.sorted().map { try Array(DocsExampleTests.canonical($0)) }
        seeds.append(Array(try Fixture.manifest.canonicalBytes()))
        seeds.append(Array(try sealPointer(Fixture.pin(ended: true), with: Fixture.key)))
        seeds.append(Array(try sealPointer(Fixture.pointer(expiresAt: "2030-01-01T00:00:00Z"), with: Fixture.key)))
        return seeds
    }

    @Test func theSeedsThemselvesHoldEveryProperty() throws {
        for seed in try Self.corpus() {
            #expect(FuzzExercise.run(Data(seed)) == nil)
        }
    }

    @Test func mutatedDocumentsNeverTrapAndReadBackAsThemselves() throws {
        let corpus = try Self.corpus()
        var mutator = Mutator(state: Self.seed)
        var broken: [String] = []
        for iteration in 0..<Self.iterations {
            let input = corpus[iteration % corpus.count]
            let bytes = mutator.mutate(input, other: corpus[mutator.below(corpus.count)])
            if let problem = FuzzExercise.run(Data(bytes)), broken.count < 5 {
                broken.append("\(problem): \(String(decoding: bytes.prefix(200), as: UTF8.self))")
            }
        }
        #expect(broken.isEmpty, "\(broken.joined(separator: "\n"))")
    }

    @Test func theMutatorIsDeterministic() {
        var one = Mutator(state: 42), two = Mutator(state: 42)
        let input = Array(#"{"a":[1,2,"x"]}"#.utf8)
        #expect((0..<50).map { _ in one.mutate(input, other: input) } == (0..<50).map { _ in two.mutate(input, other: input) })
    }
}
