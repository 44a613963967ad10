import ArgumentParser
import Bucket
import Fleet
import Foundation
import Manifest

/// `ferry pin PIPELINE --silo S --to VERSION --reason TEXT --key FILE`: one silo runs this
/// release, whatever its channel says, until `ferry unpin`.
struct PinCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pin",
        abstract: "Pin one silo to a published release, over its channel.",
        discussion: """
        The pin is signed with --key, which --trust must hold as oncall. Its serial is the next above \
        every earlier pin of the silo, ended ones included. With --channel, the release's digests are \
        checked against what that channel once pointed at. The silo must have reported before \
        (a silo id missing a digit is refused); --new-silo pins one whose agent has not run yet. \
        The agent reads pins every 3 minutes by default: --wait follows its reports until it runs \
        the pinned release.

        Examples:
          ferry pin webapp --silo 111111111111 --to 1.1.0 --reason "hold on 1.1.0 (INC-4711)" \\
              --key ~/keys/oncall.key --wait
          ferry pin webapp --silo 333333333333 --to 1.1.0 --reason "new account" --key ~/keys/oncall.key --new-silo
        """)

    @Argument(help: "The pipeline.")
    var pipeline: String

    @Option(help: ArgumentHelp("The silo to pin.", valueName: "silo"))
    var silo: String

    @Option(help: ArgumentHelp("The published version to pin it to.", valueName: "version"))
    var to: String

    @Option(help: ArgumentHelp("Why: recorded in the pin, the audit trail.", valueName: "text"))
    var reason: String

    @Option(help: ArgumentHelp("The private key file to sign with (trusted as oncall).", valueName: "file"))
    var key: String

    @Option(help: ArgumentHelp("Check the release against this channel's history.", valueName: "channel"))
    var channel: String?

    @Flag(name: .customLong("new-silo"), help: "Pin a silo that has never reported (its agent has not run yet).")
    var newSilo = false

    @Flag(help: "Pin a version a channel's rollout quarantines (recorded in the reason; the agent still refuses it while its channel quarantines it).")
    var force = false

    @OptionGroup var writer: WriterOptions
    @OptionGroup var bucket: BucketOptions
    @OptionGroup var waiting: WaitOptions

    @Flag(help: "Print JSON for scripts.")
    var json = false

    func validate() throws {
        _ = try parseVersion(to)
        try checkReason(reason, required: true)
    }

    func run() throws {
        let signer = try writer.signer(try KeyFiles.signingKey(key))
        let onCall = OnCall(bucket: try bucket.open(.versioning))
        try onCall.checkPipeline(pipeline)
        try onCall.checkSilo(silo, pipeline: pipeline, allowNew: newSilo)
        if let channel { try onCall.checkChannel(channel, pipeline: pipeline) }
        let plan = try onCall.planPin(pipeline: pipeline, silo: silo, to: .version(try parseVersion(to)),
                                      checkingAgainst: channel, reason: reason, by: signer, force: force)
        if let problem = plan.currentProblem { Output.note("warning: " + problem) }
        let result = try onCall.commit(plan, by: signer, now: Date())
        try RollbackCommand.report(result, verb: "pinned", pipeline: pipeline, onCall: onCall, waiting: waiting,
                                   json: json)
    }
}

/// `ferry unpin PIPELINE --silo S --reason TEXT --key FILE`: the silo follows its channel
/// again, said by a signed pin that names no release.
struct UnpinCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unpin",
        abstract: "End one silo's pin: it follows its channel again.",
        discussion: """
        Writes a signed pin that names no release ("ended"), with the next serial, signed with --key \
        (trusted as oncall). Nothing is deleted, so a silo tells "no pin" from "cannot read the pin", \
        and nobody without an oncall key can end a pin. A pin already ended by this key is not written again. \
        --wait follows the silo's reports until it runs its channel's release again.

        Example:
          ferry unpin webapp --silo 111111111111 --reason "INC-4711 fixed in 1.2.1" --key ~/keys/oncall.key --wait
        """)

    @Argument(help: "The pipeline.")
    var pipeline: String

    @Option(help: ArgumentHelp("The silo to unpin.", valueName: "silo"))
    var silo: String

    @Option(help: ArgumentHelp("Why: recorded in the ended pin, the audit trail.", valueName: "text"))
    var reason: String

    @Option(help: ArgumentHelp("The private key file to sign with (trusted as oncall).", valueName: "file"))
    var key: String

    @OptionGroup var writer: WriterOptions
    @OptionGroup var bucket: BucketOptions
    @OptionGroup var waiting: WaitOptions

    @Flag(help: "Print JSON for scripts.")
    var json = false

    func validate() throws {
        try checkReason(reason, required: true)
    }

    func run() throws {
        let signer = try writer.signer(try KeyFiles.signingKey(key))
        let onCall = OnCall(bucket: try bucket.open(.versioning))
        try onCall.checkPipeline(pipeline)
        try onCall.checkSilo(silo, pipeline: pipeline, allowNew: false)
        let plan = try onCall.planUnpin(pipeline: pipeline, silo: silo, reason: reason, by: signer)
        if let problem = plan.currentProblem { Output.note("warning: " + problem) }
        let result = try onCall.commit(plan, by: signer, now: Date())
        try RollbackCommand.report(result, verb: "unpinned", pipeline: pipeline, onCall: onCall,
                                   waiting: waiting, json: json)
    }
}

/// `ferry refresh PIPELINE --channel C --key FILE`: the same release, re-signed with the
/// next serial and a new expiry. For CI on a schedule, well inside the lifetime.
struct RefreshCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refresh",
        abstract: "Re-sign a channel's (or a pin's) current pointer with serial + 1 and a new expiry.",
        discussion: """
        Pointers expire (30 days unless --expires-in says otherwise) so that a frozen bucket cannot \
        keep silos on an old release for ever: run this on a schedule. The current pointer must \
        verify against --trust; the release it names is not changed.

        Examples (weekly from CI):
          ferry refresh webapp --channel stable --key release.key --trust release.pub=release
          ferry refresh webapp --silo 111111111111 --key oncall.key --trust oncall.pub=oncall
        """)

    @Argument(help: "The pipeline.")
    var pipeline: String

    @Option(help: ArgumentHelp("The channel to refresh.", valueName: "channel"))
    var channel: String?

    @Option(help: ArgumentHelp("Refresh this silo's pin instead.", valueName: "silo"))
    var silo: String?

    @Option(help: ArgumentHelp("Why (default: refresh).", valueName: "text"))
    var reason: String?

    @Option(help: ArgumentHelp("The private key file to sign with.", valueName: "file"))
    var key: String

    @OptionGroup var writer: WriterOptions
    @OptionGroup var bucket: BucketOptions

    @Flag(help: "Print JSON for scripts.")
    var json = false

    func validate() throws {
        guard (channel == nil) != (silo == nil) else { throw ValidationError("give exactly one of --channel and --silo") }
        try checkReason(reason, required: false)
    }

    func run() throws {
        let signer = try writer.signer(try KeyFiles.signingKey(key))
        let onCall = OnCall(bucket: try bucket.open(.versioning))
        try onCall.checkPipeline(pipeline)
        if let channel { try onCall.checkChannel(channel, pipeline: pipeline) }
        if let silo { try onCall.checkSilo(silo, pipeline: pipeline, allowNew: false) }
        let scope: PointerScope = channel.map { .channel($0) } ?? .silo(silo!)
        let plan = try onCall.planRefresh(pipeline: pipeline, scope: scope, reason: reason, by: signer)
        let result = try onCall.commit(plan, by: signer, now: Date())
        try RollbackCommand.report(result, verb: "refreshed", pipeline: pipeline, onCall: onCall,
                                   waiting: nil, json: json)
    }
}
