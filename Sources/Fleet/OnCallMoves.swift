import Bucket
import Foundation
import Manifest

/// A promotion, planned: the move, and what was found blocking it.
public struct PromotePlan: Sendable, Equatable {
    public let move: ChannelMovePlan
    /// Non-empty only when `--force` went past them (they are in `move.reason`).
    public let forcedPast: [PromoteGate.Blocker]
}

extension OnCall {
    /// Plans promoting the release `from` runs to `to`. Refuses (`.promoteRefused`, naming
    /// every blocker) unless every silo of `from` has it applied and in sync; `force`
    /// goes ahead anyway and records what it went past in the reason.
    public func planPromote(pipeline: String, from: String, to: String, reason: String?, force: Bool,
                            now: Date) throws(FleetError) -> PromotePlan {
        guard from != to else {
            throw FleetError(.invalidInput, "--from and --to are both \(from); promote moves a release to another channel")
        }
        guard let (source, _) = try pointer(pipeline: pipeline, channel: from) else {
            throw FleetError(.notFound, "channel \(from) of \(pipeline) has never been set: there is nothing to "
                + "promote; publish a release to it first")
        }
        let release = try publishedRelease(pipeline: pipeline, version: source.version)
        guard release.isSameRelease(as: source) else {
            throw FleetError(.digestMismatch, "channel \(from) points at \(source.version) with manifest "
                + "\(source.manifestSha256) and bundle \(source.bundleSha256), but the release in the bucket has "
                + "\(release.manifestSha256) and \(release.bundleSha256): the release objects were replaced; refused")
        }
        let reports = try statuses(pipeline: pipeline)
        let blockers = PromoteGate.blockers(version: source.version, channel: from, reports: reports.reports,
                                            unreadable: reports.problems.count, now: now)
        if !blockers.isEmpty && !force {
            throw FleetError(.promoteRefused, "not promoting \(source.version) from \(from) to \(to): "
                + blockers.map(\.description).joined(separator: "; ")
                + ". Wait for the silos, fix or roll back the failing ones, or pass --force (recorded in the reason)")
        }
        let read = try pointer(pipeline: pipeline, channel: to)
        let move = ChannelMovePlan(
            pipeline: pipeline, channel: to, current: read?.0, etag: read?.etag, target: release,
            reason: PromoteGate.reason(given: reason, version: source.version, from: from, to: to,
                                       forcedPast: blockers))
        return PromotePlan(move: move, forcedPast: blockers)
    }

    /// Pins `silo` to the published release `version` (checked against `channel`'s
    /// history when given), signed by `key`. The pin's serial continues after an unpin.
    public func pin(pipeline: String, silo: String, version: SemVer, checkingAgainst channel: String? = nil,
                    reason: String, key: SigningKey, now: Date) throws(FleetError) -> Move<Pin> {
        try pin(pipeline: pipeline, silo: silo, to: .version(version), checkingAgainst: channel, reason: reason, key: key,
                now: now)
    }

    /// Pins `silo` to `target`: a version, or (`.previous`) what `channel` pointed at
    /// before now. The channel's history is read once, for both.
    public func pin(pipeline: String, silo: String, to target: RollbackTarget, checkingAgainst channel: String?,
                    reason: String, key: SigningKey, now: Date) throws(FleetError) -> Move<Pin> {
        let history = try channel.map { (name) throws(FleetError) in try channelHistory(pipeline: pipeline, channel: name) }
        let version: SemVer
        switch target {
        case .version(let given):
            version = given
        case .previous:
            guard let channel, let history else {
                throw FleetError(.invalidInput, "--previous names what a channel pointed at before: give --channel, "
                    + "or --to VERSION")
            }
            guard let (current, _) = try pointer(pipeline: pipeline, channel: channel) else {
                throw FleetError(.notFound, "channel \(channel) of \(pipeline) has never been set, so --previous "
                    + "names nothing; give --to VERSION")
            }
            version = try resolve(.previous, current: current, history: history)
        }
        let release = try publishedRelease(pipeline: pipeline, version: version, history: history)
        do {
            return try bucket.pin(pipeline: pipeline, silo: silo, to: release, reason: reason, key: key, now: now)
        } catch {
            throw FleetError(error, doing: "pinning \(silo) of \(pipeline) to \(version)")
        }
    }

    /// Removes `silo`'s pin; false when it had none.
    public func unpin(pipeline: String, silo: String) throws(FleetError) -> Bool {
        do {
            return try bucket.unpin(pipeline: pipeline, silo: silo)
        } catch {
            throw FleetError(error, doing: "removing the pin of \(silo) in \(pipeline)")
        }
    }
}
