import ArgumentParser
import Fleet
import Foundation

/// `ferry promote PIPELINE --from canary --to stable --key FILE [--reason] [--force]
/// [--wait]`: move the next channel to the release the first one runs, once every silo
/// of the first has it in sync.
struct PromoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promote",
        abstract: "Move a channel to the release another channel runs, once its silos are in sync.",
        discussion: """
        Refused, naming the silos that block, unless every silo reporting on --from has that \
        channel's release applied and in-sync, and none is stale. --force goes ahead anyway and \
        records what it went past in the reason. The move is a compare-and-swap: if --to moves while \
        this runs, nothing is written. --to must be a channel the bucket has; --new-channel creates one.

        Examples:
          ferry promote webapp --from canary --to stable --key ~/keys/release.key --wait
          ferry promote webapp --from canary --to stable --key ~/keys/release.key --force --reason "INC-4711 hotfix"
        """)

    @Argument(help: "The pipeline.")
    var pipeline: String

    @Option(help: ArgumentHelp("The channel whose release to promote.", valueName: "channel"))
    var from: String

    @Option(help: ArgumentHelp("The channel to move.", valueName: "channel"))
    var to: String

    @Option(help: ArgumentHelp("The private key file to sign with (trusted as release).", valueName: "file"))
    var key: String

    @Option(help: ArgumentHelp("Why (default: promote VERSION from FROM to TO).", valueName: "text"))
    var reason: String?

    @Flag(name: .customLong("new-channel"), help: "Allow a --to channel the bucket does not have yet (creates it).")
    var newChannel = false

    @Flag(help: "Promote even if silos of --from are not in sync (recorded in the reason).")
    var force = false

    @OptionGroup var writer: WriterOptions
    @OptionGroup var bucket: BucketOptions
    @OptionGroup var waiting: WaitOptions

    @Flag(help: "Print JSON for scripts.")
    var json = false

    func validate() throws {
        try checkReason(reason, required: false)
        if from == to { throw ValidationError("--from and --to are both \(from): promote moves to another channel") }
    }

    func run() throws {
        let signer = try writer.signer(try KeyFiles.signingKey(key))
        let onCall = OnCall(bucket: try bucket.open(.versioning))
        try onCall.checkPipeline(pipeline)
        try onCall.checkChannel(from, pipeline: pipeline)
        try onCall.checkChannel(to, pipeline: pipeline, allowNew: newChannel, creating: "--new-channel")
        let plan = try onCall.planPromote(pipeline: pipeline, from: from, to: to, reason: reason, force: force,
                                          by: signer, now: Date())
        if let problem = plan.move.currentProblem { Output.note("warning: " + problem) }
        for blocker in plan.forcedPast {
            Output.note("warning: forced past \(blocker)")
        }
        let result = try onCall.commit(plan.move, by: signer, now: Date())
        try RollbackCommand.report(result, verb: "promoted", pipeline: pipeline, onCall: onCall, waiting: waiting,
                                   json: json)
    }
}
