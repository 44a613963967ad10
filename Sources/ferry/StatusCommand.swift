import ArgumentParser
import Fleet
import Foundation

/// `ferry status PIPELINE`: the channels and one row per silo that reports. Exits 2 when
/// a silo is in a `--fail-on` condition, so it can gate a CI step.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show where every silo of a pipeline stands, and the channels' versions.",
        discussion: """
        A silo is stale when its last report is older than three of its poll intervals. \
        Exit status: 0 when no silo is in a --fail-on condition, 2 when one is (or, unless \
        --fail-on none, when a report cannot be read), 1 when the bucket cannot be read.
        """)

    @Argument(help: "The pipeline.")
    var pipeline: String

    @OptionGroup var bucket: BucketOptions
    @OptionGroup var page: StatusPageOptions

    @Option(name: .customLong("fail-on"), help: ArgumentHelp(
        "Conditions that make the exit status 2: any of failed,stale,refused,misconfigured,expired,deploying,waiting,stopping,stopped, or none.",
        valueName: "list"))
    var failOn = FailOn.standardText

    @Flag(help: "Print JSON for scripts.")
    var json = false

    @Option(name: .customLong("read-width"), help: .hidden)
    var readWidth = 32

    func validate() throws {
        guard (1...256).contains(readWidth) else { throw ValidationError("--read-width must be 1 to 256") }
        do {
            _ = try FailOn.parse(failOn)
        } catch {
            throw ValidationError(error.message)
        }
    }

    func run() throws {
        if page.answers {
            return try page.run(OnCall(bucket: try bucket.open(), width: readWidth), pipelines: [pipeline])
        }
        let check = try FailOn.parse(failOn)
        let status = try OnCall(bucket: try bucket.open(), width: readWidth).status(pipeline: pipeline, now: Date())
        if json {
            try FleetOutput.json(StatusJSON(status: status, failing: check.failing(status).map(\.silo),
                                            passes: check.passes(status)))
        } else {
            print(StatusView.render(status, color: FleetOutput.color), terminator: "")
        }
        guard check.passes(status) else {
            let failing = check.failing(status).map { "\($0.silo) (\($0.condition.rawValue))" }
                + (status.unreadable.isEmpty ? [] : ["\(status.unreadable.count) unreadable report(s)"])
            Output.note("ferry status: failing --fail-on \(failOn): " + failing.joined(separator: ", "))
            throw ExitCode(2)
        }
    }

    struct StatusJSON: Encodable {
        var status: FleetStatus
        var failing: [String]
        var passes: Bool

        func encode(to encoder: any Encoder) throws {
            try status.encode(to: encoder)
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(failing, forKey: .failing)
            try container.encode(passes, forKey: .passes)
        }

        enum Keys: String, CodingKey { case failing, passes }
    }
}
