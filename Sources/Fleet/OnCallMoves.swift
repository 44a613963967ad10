import Bucket
import Foundation
import Manifest

/// A promotion, planned: the move, and what was found blocking it.
public struct PromotePlan: Sendable, Equatable {
    public let move: MovePlan
    /// Non-empty only when `--force` went past them (they are in `move.reason`).
    public let forcedPast: [PromoteGate.Blocker]
}

extension OnCall {
    /// Plans promoting the release `from` runs to `to`. Refuses (`.promoteRefused`, naming
    /// every blocker) unless every silo of `from` has it applied and in sync; `force`
    /// goes ahead anyway and records what it went past in the reason.
    public func planPromote(pipeline: String, from: String, to: String, reason: String?, force: Bool,
                            by writer: PointerSigner, now: Date) throws(FleetError) -> PromotePlan {
        guard from != to else {
            throw FleetError(.invalidInput, "--from and --to are both \(from); promote moves a release to another channel")
        }
        guard let source = try verifiedPointer(pipeline: pipeline, channel: from, trust: writer.trust)?.release else {
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
        if force, (reason ?? "").trimmingCharacters(in: .whitespaces).isEmpty,
           try !channelsQuarantining(source.version, pipeline: pipeline, silo: "", channel: to).isEmpty {
            throw FleetError(.quarantined, "\(source.version) of \(pipeline) is quarantined by the rollout of channel "
                + "\(to): --force past a quarantine needs a --reason (recorded); nothing was written")
        }
        let move = try plan(
            pipeline: pipeline, scope: .channel(to), to: .release(release.pointed),
            reason: PromoteGate.reason(given: reason, version: source.version, from: from, to: to,
                                       forcedPast: blockers), by: writer, force: force)
        return PromotePlan(move: move, forcedPast: blockers)
    }

    /// The channel's pointer, read once and verified against `trust` (not its expiry), or
    /// nil when the channel was never set. One that does not verify is refused: promote
    /// copies what it names.
    func verifiedPointer(pipeline: String, channel: String, trust: TrustStore) throws(FleetError) -> Pointer? {
        let key = try channelKey(pipeline: pipeline, channel: channel)
        let read: SharedBucket.Read
        do {
            read = try bucket.read(key: key, cap: SizeCap.pointer)
        } catch {
            throw FleetError(error, doing: "reading channel \(channel) of \(pipeline)")
        }
        guard case .found(let data, _) = read else { return nil }
        do throws(ManifestError) {
            let pointer = try verifyPointer(bytes: data, trust: trust)
            guard pointer.scope == .channel(channel), pointer.pipeline == pipeline else {
                throw ManifestError(.wrongDocument, "it is \(pointer.scope) of \(pointer.pipeline)")
            }
            return pointer
        } catch {
            throw FleetError(.invalidInput, "channel \(channel) of \(pipeline) does not verify against the trusted "
                + "keys: \(error.message); refusing to copy what it names")
        }
    }

    /// Plans pinning `silo` to `target`: a version, or (`.previous`) what `channel` pointed
    /// at before now. The channel's history is read once, for both; the pin's serial
    /// continues above every earlier pin of the silo, ended ones included.
    public func planPin(pipeline: String, silo: String, to target: RollbackTarget, checkingAgainst channel: String?,
                        reason: String, by writer: PointerSigner, force: Bool = false) throws(FleetError) -> MovePlan {
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
            guard let last = history.moves.first else {
                throw FleetError(.notFound, "channel \(channel) of \(pipeline) has never been set, so --previous "
                    + "names nothing; give --to VERSION")
            }
            version = try resolve(.previous, channel: channel, pipeline: pipeline, current: last, history: history)
        }
        let release = try publishedRelease(pipeline: pipeline, version: version, history: history)
        var reason = reason
        let quarantining = try channelsQuarantining(version, pipeline: pipeline, silo: silo, channel: channel)
        if !quarantining.isEmpty {
            let which = quarantining.map { "channel \($0)" }.joined(separator: ", ")
            guard force else {
                throw FleetError(.quarantined, "\(version) of \(pipeline) is quarantined by the rollout of \(which); "
                    + "nothing was written: pin a fixed version, or pass --force with a --reason (the silo's agent "
                    + "still refuses it while its channel quarantines it)")
            }
            reason += " [forced past the quarantine of \(version) by \(which)]"
        }
        return try plan(pipeline: pipeline, scope: .silo(silo), to: .release(release.pointed), reason: reason, by: writer)
    }

    /// The channels whose rollout quarantines `version` for `silo`: `channel` when given,
    /// else the channel of the silo's last report, else every channel of the pipeline.
    func channelsQuarantining(_ version: SemVer, pipeline: String, silo: String,
                              channel: String?) throws(FleetError) -> [String] {
        var names: [String]
        if let channel {
            names = [channel]
        } else {
            let reported: StatusReport?
            do {
                reported = try bucket.status(pipeline: pipeline, silo: silo)
            } catch {
                reported = nil  // an unreadable report: look at every channel instead
            }
            if let reported { names = [reported.channel] } else { names = try channels(pipeline: pipeline) }
        }
        var quarantining: [String] = []
        for name in names.sorted() {
            let current: Pointer?
            do {
                current = try bucket.currentPointer(pipeline: pipeline, scope: .channel(name))?.0
            } catch {
                throw FleetError(error, doing: "reading channel \(name) of \(pipeline)")
            }
            if current?.rollout?.isQuarantined(version) == true { quarantining.append(name) }
        }
        return quarantining
    }

    /// Plans ending `silo`'s pin: a signed pin that names no release (serial + 1), so the
    /// silo returns to its channel and can tell "no pin" from "cannot read the pin".
    /// Unchanged when the pin already ended under the same key.
    public func planUnpin(pipeline: String, silo: String, reason: String,
                          by writer: PointerSigner) throws(FleetError) -> MovePlan {
        try plan(pipeline: pipeline, scope: .silo(silo), to: .end, reason: reason, by: writer)
    }

    /// Plans re-signing what `scope` names now with serial + 1 and a new `expiresAt`
    /// (`ferry refresh`, for CI on a schedule). The current document must verify.
    public func planRefresh(pipeline: String, scope: PointerScope, reason: String?,
                            by writer: PointerSigner) throws(FleetError) -> MovePlan {
        try plan(pipeline: pipeline, scope: scope, to: .refresh, reason: reason ?? "refresh", by: writer)
    }
}
