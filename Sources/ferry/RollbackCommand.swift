import ArgumentParser
import Bucket
import Fleet
import Foundation
import Manifest

/// `ferry rollback PIPELINE --channel C (--to V | --previous) --reason TEXT --key FILE
/// [--silo S] [--wait]`: a new pointer (serial + 1) to an older published release, by
/// compare-and-swap; with `--silo`, a pin for that silo instead.
struct RollbackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Move a channel (or, with --silo, one silo) back to a published release.",
        discussion: """
        The new pointer gets the next serial and is signed with --key (a key the agents trust as \
        release or oncall; pins need oncall). --previous is the release the channel pointed at before \
        its current one. The release must be published, and its digests must equal those the channel \
        once pointed at. If the channel moves while this runs, nothing is written: run it again.
        """)

    @Argument(help: "The pipeline.")
    var pipeline: String

    @Option(help: ArgumentHelp("The channel to roll back (with --silo: whose history --previous reads).",
                               valueName: "channel"))
    var channel: String?

    @Option(help: ArgumentHelp("The published version to go to.", valueName: "version"))
    var to: String?

    @Flag(help: "Go to the release the channel pointed at before its current one.")
    var previous = false

    @Option(help: ArgumentHelp("Pin this one silo instead of moving the channel.", valueName: "silo"))
    var silo: String?

    @Option(help: ArgumentHelp("Why: recorded in the pointer, the audit trail.", valueName: "text"))
    var reason: String?

    @Option(help: ArgumentHelp("The private key file to sign with (ferry keys generate).", valueName: "file"))
    var key: String

    @OptionGroup var bucket: BucketOptions
    @OptionGroup var waiting: WaitOptions

    @Flag(help: "Print JSON for scripts.")
    var json = false

    func validate() throws {
        guard (to != nil) != previous else { throw ValidationError("give exactly one of --to VERSION and --previous") }
        if let to { _ = try parseVersion(to) }
        if channel == nil && (silo == nil || previous) {
            throw ValidationError("--channel is required" + (silo == nil ? "" : " with --previous"))
        }
        try checkReason(reason, required: true)
    }

    func run() throws {
        let signer = try KeyFiles.signingKey(key)
        let onCall = OnCall(bucket: try bucket.open())
        let reason = self.reason ?? ""
        let target: RollbackTarget = try to.map { .version(try parseVersion($0)) } ?? .previous
        if let silo {
            let move = try onCall.pin(pipeline: pipeline, silo: silo, to: target, checkingAgainst: channel,
                                      reason: reason, key: signer, now: Date())
            try PinCommand.report(move, pipeline: pipeline, onCall: onCall, waiting: waiting, json: json)
            return
        }
        let plan = try onCall.planRollback(pipeline: pipeline, channel: channel!, to: target, reason: reason)
        let result = try onCall.commit(plan, key: signer, now: Date())
        try Self.report(result, verb: "rolled back", pipeline: pipeline, onCall: onCall, waiting: waiting, json: json)
    }

    /// Prints what a channel move did, then waits if asked.
    static func report(_ result: ChannelMoveResult, verb: String, pipeline: String, onCall: OnCall,
                       waiting: WaitOptions, json: Bool) throws {
        let pointer = result.pointer
        var from: ChannelPointer?
        let text: String
        switch result {
        case .moved(let previous?, let to) where previous.version == to.version:
            from = previous
            text = "re-signed channel \(to.channel) of \(pipeline) at \(to.version) (serial \(previous.serial) -> "
                + "\(to.serial)), signed by \(shortKeyID(to.issuedBy)): \(to.reason)"
        case .moved(let previous, let to):
            from = previous
            let was = previous.map { "\($0.version) (serial \($0.serial)) -> " } ?? ""
            text = "\(verb) channel \(to.channel) of \(pipeline): \(was)\(to.version) (serial \(to.serial)), "
                + "signed by \(shortKeyID(to.issuedBy)): \(to.reason)"
        case .unchanged(let current):
            text = "channel \(current.channel) of \(pipeline) is already at \(current.version) "
                + "(serial \(current.serial)): nothing written"
        }
        if !json { print(text) }
        let goal = ConvergenceGoal(.channel(pointer.channel), version: pointer.version, serial: pointer.serial)
        let waited = try waiting.run(onCall, pipeline: pipeline, goal: goal)
        if json {
            try FleetOutput.json(MoveJSON(action: result == .unchanged(pointer) ? "unchanged" : "moved",
                                          pipeline: pipeline, channel: pointer.channel, silo: nil,
                                          from: from.map(MoveJSON.Ref.init), to: MoveJSON.Ref(pointer),
                                          wait: waited.map(FleetOutput.WaitResult.init)))
        }
    }
}

/// What `--json` prints for a rollback, promote or pin.
struct MoveJSON: Encodable {
    struct Ref: Encodable {
        var version: SemVer
        var serial: Int
        var manifestSha256: String
        var bundleSha256: String
        var issuedAt: String
        var issuedBy: KeyID
        var reason: String

        init(_ pointer: ChannelPointer) {
            version = pointer.version
            serial = pointer.serial
            manifestSha256 = pointer.manifestSha256
            bundleSha256 = pointer.bundleSha256
            issuedAt = pointer.issuedAt
            issuedBy = pointer.issuedBy
            reason = pointer.reason
        }

        init(_ pin: Pin) {
            version = pin.version
            serial = pin.serial
            manifestSha256 = pin.manifestSha256
            bundleSha256 = pin.bundleSha256
            issuedAt = pin.issuedAt
            issuedBy = pin.issuedBy
            reason = pin.reason
        }
    }

    var action: String
    var pipeline: String
    var channel: String?
    var silo: String?
    var from: Ref?
    var to: Ref
    var wait: FleetOutput.WaitResult?
}
