import AWS
import ArgumentParser
import Builder
import Fleet
import Foundation
import Manifest

/// `ferry rollout PIPELINE --channel C`: the rollout controller (docs/operations.md,
/// "Rollouts"), and `ferry rollout status | pause | resume | abort`.
struct RolloutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollout",
        abstract: "Move a channel's release through its rollout waves, with bake time and brakes.",
        subcommands: [RolloutRun.self, RolloutStatus.self, RolloutPause.self, RolloutResume.self, RolloutAbort.self],
        defaultSubcommand: RolloutRun.self)
}

/// Where the channel's rollout policy is read: the pipeline definition.
struct PolicyOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The channel.", valueName: "channel"))
    var channel: String

    @Option(help: ArgumentHelp("The repository holding pipelines/PIPELINE.yaml. Default: the current folder.",
                               valueName: "path"))
    var repo: String = "."

    func policy(pipeline: String) throws -> RolloutPolicy {
        let definition = try PipelineDefinition.load(file: "pipelines/\(pipeline).yaml", repositoryRoot: repo,
                                                     sourceExists: { _ in true })
        guard let policy = definition.rollouts[channel] else {
            throw ValidationError("pipelines/\(pipeline).yaml has no rollout for channel \(channel): add one under "
                + "'rollout:' (docs/pipelines.md)")
        }
        return policy
    }
}

struct RolloutRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Open the next wave whenever the open ones are in sync and baked; halt past the tolerance.",
        discussion: """
        Each step is a signed pointer with the next serial, written by compare-and-swap: two \
        controllers at once are safe. Runs until every wave is open and in sync, or the rollout \
        halts (exit 2); --once does one step, for a scheduled job. --force --reason opens a wave \
        inside a change freeze, and the pointer records it.

        Examples:
          ferry rollout webapp --channel stable --key ~/keys/release.key
          ferry rollout webapp --channel stable --key ~/keys/release.key --once --json
        """)

    @Argument(help: "The pipeline.")
    var pipeline: String

    @OptionGroup var where_: PolicyOptions

    @Option(help: ArgumentHelp("The private key file to sign with (trusted as release).", valueName: "file"))
    var key: String

    @Flag(help: "One step, then exit (for cron or a scheduled task).")
    var once = false

    @Option(help: ArgumentHelp("Seconds between steps. Default: 30.", valueName: "seconds"))
    var every: Double = 30

    @Flag(help: "Open a wave inside a change freeze (needs --reason).")
    var force = false

    @Option(help: ArgumentHelp("Why (recorded in the pointer).", valueName: "text"))
    var reason: String?

    @Option(name: .customLong("notify-topic-arn"), help: ArgumentHelp(
        "An SNS topic told when the rollout halts (FERRY_NOTIFY_TOPIC_ARN).", valueName: "arn"))
    var notifyTopicArn: String?

    @OptionGroup var writer: WriterOptions
    @OptionGroup var bucket: BucketOptions

    @Flag(help: "Print JSON for scripts.")
    var json = false

    func validate() throws {
        try checkReason(reason, required: force)
        guard every > 0 else { throw ValidationError("--every must be more than 0 seconds") }
        if let topic = notifyTopicArn, !topic.hasPrefix("arn:") || topic.split(separator: ":").count < 6 {
            throw ValidationError("--notify-topic-arn \(topic) is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)")
        }
    }

    /// The topic of `--notify-topic-arn`, else FERRY_NOTIFY_TOPIC_ARN.
    var topic: String? {
        notifyTopicArn ?? ProcessInfo.processInfo.environment["FERRY_NOTIFY_TOPIC_ARN"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Publishes the halt of `tick` to the topic; a failure is a warning on stderr (the
    /// halt itself is signed and written already).
    func notifyHalt(_ tick: RolloutController.Tick, before: Pointer?, onCall: OnCall) {
        guard let topic else { return }
        let reports = (try? onCall.statuses(pipeline: pipeline).reports) ?? []
        guard let note = RolloutNotification.of(tick, pipeline: pipeline, channel: where_.channel, before: before,
                                                reports: reports, now: Date()) else { return }
        do {
            _ = try SNS(config: try bucket.aws.config()).publish(topicArn: topic, message: note.json(), subject: note.subject)
            Output.note("notified \(topic): \(note.subject)")
        } catch {
            Output.note("warning: cannot publish to \(topic): \(error); the halt is written (ferry rollout status)")
        }
    }

    func run() throws {
        let policy = try where_.policy(pipeline: pipeline)
        let shared = try bucket.open(.versioning)
        let controller = RolloutController(bucket: shared, writer: try writer.signer(try KeyFiles.signingKey(key)))
        let onCall = OnCall(bucket: shared)
        while true {
            // The pointer before the tick names the release a halt stops (read only to notify).
            let before = topic == nil ? nil : try? onCall.pointer(pipeline: pipeline, channel: where_.channel)?.0
            let tick = try controller.tick(pipeline: pipeline, channel: where_.channel, policy: policy, now: Date(),
                                           force: force, reason: reason)
            try RolloutStatus.show(tick, json: json)
            switch tick.step {
            case .halt:
                notifyHalt(tick, before: before, onCall: onCall)
                throw ExitCode(2)
            case .stopped where tick.pointer.rollout?.halted == true: throw ExitCode(2)
            case .done, .stopped: return
            case .open, .wait: if once { return }
            }
            Thread.sleep(forTimeInterval: every)
        }
    }
}

struct RolloutStatus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show the channel's waves, what is open, and the next step.",
        discussion: "Example:\n  ferry rollout status webapp --channel stable")

    @Argument(help: "The pipeline.")
    var pipeline: String

    @OptionGroup var where_: PolicyOptions
    @OptionGroup var bucket: BucketOptions

    @Flag(help: "Print JSON for scripts.")
    var json = false

    func run() throws {
        let onCall = OnCall(bucket: try bucket.open(.exists))
        guard let (pointer, _) = try onCall.pointer(pipeline: pipeline, channel: where_.channel) else {
            throw ValidationError("channel \(where_.channel) of \(pipeline) has no pointer yet")
        }
        let reports = try onCall.statuses(pipeline: pipeline).reports
        let step = RolloutDecision(policy: try where_.policy(pipeline: pipeline), pointer: pointer, reports: reports,
                                   now: Date()).decide()
        try Self.show(RolloutController.Tick(step: step, written: nil, pointer: pointer), json: json)
    }

    /// One line per tick: the step, and the pointer's state.
    static func show(_ tick: RolloutController.Tick, json: Bool) throws {
        let pointer = tick.pointer
        let block = pointer.rollout
        let step: (String, String) = switch tick.step {
        case .open(_, let reason): ("opened", reason)
        case .halt(let reason, _, _): ("halted", tick.written?.reason ?? reason)
        case .wait(let why): ("waiting", why)
        case .done: ("done", "every wave is open and in sync")
        case .stopped(let why): ("stopped", why)
        }
        if json {
            var object: [String: Any] = ["step": step.0, "detail": step.1, "serial": pointer.serial,
                                         "version": pointer.release?.version.description ?? NSNull()]
            if let block {
                object["waves"] = block.waves.map(\.name)
                object["open"] = block.open
                object["halted"] = block.halted
                object["quarantined"] = block.quarantined.map(\.description)
            }
            try Output.printJSON(object)
        } else {
            let waves = block.map { "wave \($0.open)/\($0.waves.count) open" + ($0.halted ? ", halted" : "")
                + ($0.quarantined.isEmpty ? "" : ", quarantined \($0.quarantined.map(\.description).joined(separator: ","))") }
            print("\(step.0): \(step.1) [serial \(pointer.serial), \(pointer.release?.version.description ?? "-")"
                + (waves.map { ", " + $0 } ?? "") + "]")
        }
    }
}

/// `pause`, `resume`, `abort`: one signed pointer each, with a reason.
struct RolloutPause: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pause", abstract: "Halt the rollout: no wave opens.",
        discussion: "Example:\n  ferry rollout pause webapp --channel stable --key ~/keys/release.key --reason \"look at eu-1\"")
    @OptionGroup var action: RolloutActionOptions
    func validate() throws { try checkReason(action.reason, required: true) }
    func run() throws { try action.run(.pause) }
}

struct RolloutResume: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume", abstract: "Lift a halt: waves open again.",
        discussion: "Example:\n  ferry rollout resume webapp --channel stable --key ~/keys/release.key --reason \"fixed\"")
    @OptionGroup var action: RolloutActionOptions
    func validate() throws { try checkReason(action.reason, required: true) }
    func run() throws { try action.run(.resume) }
}

struct RolloutAbort: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "abort", abstract: "Halt and move every wave back to the release the rollout started from.",
        discussion: "Example:\n  ferry rollout abort webapp --channel stable --key ~/keys/release.key --reason \"wrong build\"")
    @OptionGroup var action: RolloutActionOptions
    func validate() throws { try checkReason(action.reason, required: true) }
    func run() throws { try action.run(.abort) }
}

struct RolloutActionOptions: ParsableArguments {
    @Argument(help: "The pipeline.")
    var pipeline: String

    @Option(help: ArgumentHelp("The channel.", valueName: "channel"))
    var channel: String

    @Option(help: ArgumentHelp("The private key file to sign with (trusted as release or oncall).", valueName: "file"))
    var key: String

    @Option(help: ArgumentHelp("Why (required; recorded in the pointer).", valueName: "text"))
    var reason: String?

    @OptionGroup var writer: WriterOptions
    @OptionGroup var bucket: BucketOptions

    @Flag(help: "Print JSON for scripts.")
    var json = false

    func run(_ command: RolloutController.Command) throws {
        let controller = RolloutController(bucket: try bucket.open(.versioning), writer: try writer.signer(try KeyFiles.signingKey(key)))
        let pointer = try controller.run(command, pipeline: pipeline, channel: channel, reason: reason ?? "", now: Date())
        try RolloutStatus.show(RolloutController.Tick(step: .wait(pointer.reason), written: pointer, pointer: pointer),
                               json: json)
    }
}
