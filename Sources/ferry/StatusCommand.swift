import ArgumentParser
import Fleet
import Foundation
import Manifest

/// `ferry status [PIPELINE]`: the channels and one row per silo that reports, for one
/// pipeline or every pipeline in the bucket, filtered; with `--silo`, everything that silo
/// last said. Exits 2 when a silo is in a `--fail-on` condition, so it can gate a CI step.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show where every silo of a pipeline (or of every pipeline) stands, and the channels' versions.",
        discussion: """
        Without PIPELINE, every pipeline in the bucket is shown. --silo, --channel, --version \
        and --state narrow the rows; --silo on one pipeline shows everything that silo last \
        reported: its state, target and serial, pin, report age, error and the resource at \
        fault, and its last stack events (also in --json, under silos[].events). A silo is \
        stale when its last report is older than three of its poll intervals. A pipeline the \
        bucket does not know fails, naming those it knows.

        Exit status: 0 when no silo shown is in a --fail-on condition, 2 when one is (or, \
        unless --fail-on none, when a report cannot be read), 1 when the bucket cannot be read.

        Examples:
          ferry status                              # every pipeline
          ferry status dropzone --state failed      # only the failing silos
          ferry status dropzone --silo 111111111111 # one silo in detail, with its events
          ferry status dropzone --watch 10          # refresh every 10 s until Ctrl-C
          ferry status dropzone --json | jq '.silos[] | select(.reportedState == "failed")'
        """)

    @Argument(help: "The pipeline (default: every pipeline in the bucket).")
    var pipeline: String?

    @Option(help: ArgumentHelp("Only this silo; with a PIPELINE, shown in detail.", valueName: "silo"))
    var silo: String?

    @Option(help: ArgumentHelp("Only silos on this channel, and this channel's row.", valueName: "channel"))
    var channel: String?

    @Option(name: .customLong("version"), help: ArgumentHelp(
        "Only silos that target or run this version.", valueName: "version"))
    var releaseVersion: String?

    @Option(help: ArgumentHelp("Only silos in this condition: in-sync, deploying, failed, refused, stale.",
                               valueName: "state"))
    var state: String?

    @Option(help: ArgumentHelp("Show again (with --html: rewrite the page) every this many seconds until Ctrl-C "
                               + "(exit status: always 0).",
                               valueName: "seconds"))
    var watch: Int?

    @OptionGroup var bucket: BucketOptions
    @OptionGroup var keyNames: KeyNameOptions
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
        if let watch, !(1...3600).contains(watch) { throw ValidationError("--watch \(watch): give 1 to 3600 seconds") }
        if let releaseVersion { _ = try parseVersion(releaseVersion, option: "--version") }
        _ = try condition()
        do {
            _ = try FailOn.parse(failOn)
        } catch {
            throw ValidationError(error.message)
        }
    }

    func condition() throws -> SiloCondition? {
        guard let state else { return nil }
        guard let condition = SiloCondition(rawValue: state) else {
            let names = SiloCondition.allCases.map(\.rawValue)
            throw ValidationError("--state \(state): not one of " + names.joined(separator: ", ")
                + Suggestion.phrase(for: state, among: names))
        }
        return condition
    }

    func run() throws {
        let onCall = OnCall(bucket: try bucket.open(.exists), width: readWidth)
        let pipelines: [String]
        if let pipeline {
            try onCall.checkPipeline(pipeline)
            if let channel { try onCall.checkChannel(channel, pipeline: pipeline) }
            pipelines = [pipeline]
        } else {
            pipelines = try onCall.pipelines()
            if pipelines.isEmpty { Output.note("no pipeline in s3://\(onCall.bucket.name) yet") }
        }
        if page.answers {
            return try page.run(onCall, pipelines: pipelines, names: try keyNames.names().names, watch: watch)
        }
        guard let watch else {
            try show(onCall, pipelines: pipelines, gate: true)
            return
        }
        // Ctrl-C and SIGTERM stop the watch even when the parent left them ignored.
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
        var stopping = sigset_t()
        sigemptyset(&stopping)
        sigaddset(&stopping, SIGINT)
        sigaddset(&stopping, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &stopping, nil)
        while true {
            if !json && isatty(STDOUT_FILENO) != 0 { print("\u{1B}[H\u{1B}[2J", terminator: "") }
            try show(onCall, pipelines: pipelines, gate: false)
            if !json { print("(every \(watch)s; Ctrl-C stops)") }
            fflush(nil)
            sleep(UInt32(watch))
        }
    }

    /// Prints the status of `pipelines`; with `gate`, exits 2 on a --fail-on condition.
    func show(_ onCall: OnCall, pipelines: [String], gate: Bool) throws {
        let check = try FailOn.parse(failOn)
        let names = try keyNames.names()
        let version = try releaseVersion.map { try parseVersion($0, option: "--version") }
        var failing: [String] = []
        var documents: [StatusJSON] = []
        for (index, name) in pipelines.enumerated() {
            let status = try onCall.status(pipeline: name, now: Date())
                .filtered(silo: silo, channel: channel, version: version, state: try condition())
            let label = pipelines.count > 1 ? "\(name)/" : ""
            failing += check.failing(status).map { "\(label)\($0.silo) (\($0.condition.rawValue))" }
                + (status.unreadable.isEmpty || check.conditions.isEmpty
                    ? [] : ["\(status.unreadable.count) unreadable report(s) of \(name)"])
            let document = StatusJSON(status: status, failing: check.failing(status).map(\.silo),
                                      passes: check.passes(status))
            if json {
                documents.append(document)
            } else if pipeline != nil, silo != nil, let row = status.silos.first {
                print(SiloView.render(row, pipeline: name, color: FleetOutput.color), terminator: "")
            } else if pipeline != nil, let silo {
                print("silo \(silo) has not reported for \(name)")
            } else {
                if pipelines.count > 1 {
                    print((index == 0 ? "" : "\n") + "== \(name) ==")
                }
                print(StatusView.render(status, color: FleetOutput.color, names: names), terminator: "")
            }
        }
        if json {
            // One pipeline: its status object (as before). Every pipeline: an array of them.
            if pipeline != nil, let document = documents.first {
                try FleetOutput.json(document)
            } else {
                try FleetOutput.json(documents)
            }
        }
        guard gate, failing.isEmpty else {
            if gate {
                Output.note("ferry status: failing --fail-on \(failOn): " + failing.joined(separator: ", "))
                throw ExitCode(2)
            }
            return
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
