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
        once pointed at. If the channel moves while this runs, nothing is written: run it again. \
        With --silo, the silo must have reported before (--new-silo otherwise).

        Examples:
          ferry rollback webapp --channel stable --previous --reason "1.2.0 breaks ingestion (INC-4711)" \\
              --key ~/keys/oncall.key --wait
          ferry rollback webapp --channel stable --to 1.1.0 --reason "INC-4711" --key ~/keys/oncall.key
          ferry rollback webapp --channel stable --silo 111111111111 --previous --reason "eu only" \\
              --key ~/keys/oncall.key
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

    @Flag(name: .customLong("new-silo"), help: "With --silo: a silo that has never reported (its agent has not run yet).")
    var newSilo = false

    @Option(help: ArgumentHelp("Why: recorded in the pointer, the audit trail.", valueName: "text"))
    var reason: String?

    @Option(help: ArgumentHelp("The private key file to sign with (ferry keys generate).", valueName: "file"))
    var key: String

    @OptionGroup var writer: WriterOptions
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
        let signer = try writer.signer(try KeyFiles.signingKey(key))
        let onCall = OnCall(bucket: try bucket.open(.versioning))
        try onCall.checkPipeline(pipeline)
        if let channel { try onCall.checkChannel(channel, pipeline: pipeline) }
        if let silo { try onCall.checkSilo(silo, pipeline: pipeline, allowNew: newSilo) }
        let reason = self.reason ?? ""
        let target: RollbackTarget = try to.map { .version(try parseVersion($0)) } ?? .previous
        let plan = if let silo {
            try onCall.planPin(pipeline: pipeline, silo: silo, to: target, checkingAgainst: channel, reason: reason,
                               by: signer)
        } else {
            try onCall.planRollback(pipeline: pipeline, channel: channel!, to: target, reason: reason, by: signer)
        }
        if let problem = plan.currentProblem { Output.note("warning: " + problem) }
        let result = try onCall.commit(plan, by: signer, now: Date())
        try Self.report(result, verb: "rolled back", pipeline: pipeline, onCall: onCall, waiting: waiting, json: json)
    }

    /// Prints what a channel move did, then waits if asked.
    /// Prints what a move of a channel or a pin did, then waits for the silos if asked.
    static func report(_ result: MoveResult, verb: String, pipeline: String, onCall: OnCall,
                       waiting: WaitOptions?, json: Bool) throws {
        let pointer = result.pointer
        var from: Pointer?
        if case .moved(let previous, _) = result { from = previous }
        let text = describe(result, verb: verb, pipeline: pipeline)
        if !json { print(text) }
        var waited: Convergence.Snapshot?
        if let waiting, waiting.wait, let release = pointer.release {
            let subject: ConvergenceGoal.Scope = switch pointer.scope {
            case .channel(let name): .channel(name)
            case .silo(let name): .silo(name)
            }
            let pinned: Bool? = if case .silo = pointer.scope { true } else { nil }
            waited = try waiting.run(onCall, pipeline: pipeline, goal: ConvergenceGoal(
                subject, version: release.version, serial: pointer.serial, pinned: pinned,
                since: Timestamp.parse(pointer.issuedAt)))
        } else if let waiting, waiting.wait, case .silo(let silo) = pointer.scope {
            // An ended pin: the silo follows its channel again, at the channel's version.
            waited = try waitForChannel(silo: silo, pipeline: pipeline, onCall: onCall, waiting: waiting)
        } else if waiting?.wait != true, case .silo(let silo) = pointer.scope, result != .unchanged(pointer) {
            Output.note(noticeNote(silo: silo, pipeline: pipeline, onCall: onCall))
        }
        if json {
            let action = result == .unchanged(pointer) ? "unchanged"
                : pointer.isEnded ? "unpinned" : siloName(pointer) != nil ? "pinned" : "moved"
            try FleetOutput.json(MoveJSON(action: action, pipeline: pipeline, channel: channelName(pointer),
                                          silo: siloName(pointer), from: from.map(MoveJSON.Ref.init),
                                          to: MoveJSON.Ref(pointer), wait: waited.map(FleetOutput.WaitResult.init)))
        }
    }

    /// Waits until `silo`, unpinned, is in sync on its channel's current release.
    static func waitForChannel(silo: String, pipeline: String, onCall: OnCall,
                               waiting: WaitOptions) throws -> Convergence.Snapshot? {
        guard let report = try onCall.bucket.status(pipeline: pipeline, silo: silo) else {
            Output.note("\(silo) has never reported: nothing to wait for")
            return nil
        }
        guard let (channel, _) = try onCall.pointer(pipeline: pipeline, channel: report.channel),
              let release = channel.release else {
            Output.note("channel \(report.channel) of \(pipeline) has never been set: \(silo) has nothing to follow")
            return nil
        }
        return try waiting.run(onCall, pipeline: pipeline, goal: ConvergenceGoal(
            .silo(silo), version: release.version, serial: channel.serial, pinned: false))
    }

    /// Without --wait: how long the silo's agent takes to notice a pin (it reads pins
    /// every 3 minutes by default, `--pin-interval`).
    static func noticeNote(silo: String, pipeline: String, onCall: OnCall) -> String {
        "its agent reads pins every 3 minutes by default (ferry agent run --pin-interval), then deploys: "
            + "follow it with `ferry status \(pipeline) --silo \(silo)`, or pass --wait next time"
    }

    /// The line a person reads: what moved, from where, under which serial and key.
    static func describe(_ result: MoveResult, verb: String, pipeline: String) -> String {
        let to = result.pointer
        let by = "signed by \(shortKeyID(to.issuedBy))"
        switch (to.scope, result) {
        case (.channel(let channel), .moved(let previous?, _)) where previous.release == to.release:
            return "re-signed channel \(channel) of \(pipeline) at \(describe(to)) (serial \(previous.serial) -> "
                + "\(to.serial)), \(by): \(to.reason)"
        case (.channel(let channel), .moved(let previous, _)):
            let was = previous.map { "\(describe($0)) (serial \($0.serial)) -> " } ?? ""
            return "\(verb) channel \(channel) of \(pipeline): \(was)\(describe(to)) (serial \(to.serial)), \(by): \(to.reason)"
        case (.channel(let channel), .unchanged):
            return "channel \(channel) of \(pipeline) is already at \(describe(to)) (serial \(to.serial)): nothing written"
        case (.silo(let silo), .moved(let previous, _)) where to.isEnded:
            _ = previous
            return "unpinned \(silo) of \(pipeline) (pin serial \(to.serial)), \(by): it follows its channel again"
        case (.silo(let silo), .moved(let previous?, _)) where previous.release == to.release:
            return "re-signed the pin of \(silo) of \(pipeline) at \(describe(to)) (pin serial \(previous.serial) -> "
                + "\(to.serial)), \(by): \(to.reason)"
        case (.silo(let silo), .moved):
            return "pinned \(silo) of \(pipeline) to \(describe(to)) (pin serial \(to.serial)), \(by): \(to.reason)"
        case (.silo(let silo), .unchanged) where to.isEnded:
            return "\(silo) of \(pipeline) has no pin (pin serial \(to.serial) ended it): nothing written"
        case (.silo(let silo), .unchanged):
            return "\(silo) of \(pipeline) is already pinned to \(describe(to)) (pin serial \(to.serial)): nothing written"
        }
    }

    static func describe(_ pointer: Pointer) -> String {
        pointer.release.map { "\($0.version)" } ?? "no pin (ended)"
    }

    static func channelName(_ pointer: Pointer) -> String? {
        if case .channel(let name) = pointer.scope { name } else { nil }
    }

    static func siloName(_ pointer: Pointer) -> String? {
        if case .silo(let name) = pointer.scope { name } else { nil }
    }
}

struct MoveJSON: Encodable {
    struct Ref: Encodable {
        /// Nil in an ended pin.
        var version: SemVer?
        var serial: Int
        var manifestSha256: String?
        var bundleSha256: String?
        var issuedAt: String
        var expiresAt: String?
        var issuedBy: KeyID
        var reason: String

        init(_ pointer: Pointer) {
            version = pointer.release?.version
            serial = pointer.serial
            manifestSha256 = pointer.release?.manifestSha256
            bundleSha256 = pointer.release?.bundleSha256
            issuedAt = pointer.issuedAt
            expiresAt = pointer.expiresAt
            issuedBy = pointer.issuedBy
            reason = pointer.reason
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
