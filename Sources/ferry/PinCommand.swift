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
        The pin is signed with --key, which the agents must trust as oncall. Its serial continues \
        from the silo's last pin, removed ones included. With --channel, the release's digests are \
        checked against what that channel once pointed at.
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

    @OptionGroup var bucket: BucketOptions
    @OptionGroup var waiting: WaitOptions

    @Flag(help: "Print JSON for scripts.")
    var json = false

    func validate() throws {
        _ = try parseVersion(to)
        try checkReason(reason, required: true)
    }

    func run() throws {
        let signer = try KeyFiles.signingKey(key)
        let onCall = OnCall(bucket: try bucket.open())
        let move = try onCall.pin(pipeline: pipeline, silo: silo, version: try parseVersion(to),
                                  checkingAgainst: channel, reason: reason, key: signer, now: Date())
        try Self.report(move, pipeline: pipeline, onCall: onCall, waiting: waiting, json: json)
    }

    /// Prints what a pin did, then waits for the silo if asked.
    static func report(_ move: Move<Pin>, pipeline: String, onCall: OnCall, waiting: WaitOptions, json: Bool) throws {
        let pin = move.document
        let moved: Bool
        if case .moved = move { moved = true } else { moved = false }
        if !json {
            print(moved
                ? "pinned \(pin.silo) of \(pipeline) to \(pin.version) (pin serial \(pin.serial)), signed by "
                    + "\(shortKeyID(pin.issuedBy)): \(pin.reason)"
                : "\(pin.silo) of \(pipeline) is already pinned to \(pin.version) (pin serial \(pin.serial)): nothing written")
        }
        let goal = ConvergenceGoal(.silo(pin.silo), version: pin.version, serial: pin.serial)
        let waited = try waiting.run(onCall, pipeline: pipeline, goal: goal)
        if json {
            try FleetOutput.json(MoveJSON(action: moved ? "pinned" : "unchanged", pipeline: pipeline, channel: nil,
                                          silo: pin.silo, from: nil, to: MoveJSON.Ref(pin),
                                          wait: waited.map(FleetOutput.WaitResult.init)))
        }
    }
}

/// `ferry unpin PIPELINE --silo S`: the silo follows its channel again.
struct UnpinCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unpin",
        abstract: "Remove one silo's pin: it follows its channel again.",
        discussion: "The removal is a delete marker: the pin's versions stay in the bucket (ferry history).")

    @Argument(help: "The pipeline.")
    var pipeline: String

    @Option(help: ArgumentHelp("The silo to unpin.", valueName: "silo"))
    var silo: String

    @OptionGroup var bucket: BucketOptions

    @Flag(help: "Print JSON for scripts.")
    var json = false

    func run() throws {
        let removed = try OnCall(bucket: try bucket.open()).unpin(pipeline: pipeline, silo: silo)
        if json {
            try FleetOutput.json(["action": removed ? "unpinned" : "unchanged", "pipeline": pipeline, "silo": silo])
        } else {
            print(removed ? "unpinned \(silo) of \(pipeline): it follows its channel again"
                          : "\(silo) of \(pipeline) has no pin: nothing to remove")
        }
    }
}
