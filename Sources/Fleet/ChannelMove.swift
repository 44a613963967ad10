import Bucket
import Foundation
import Manifest

/// What rollback moves to.
public enum RollbackTarget: Sendable, Equatable {
    case version(SemVer)
    /// The release the channel pointed at before the current one.
    case previous
}

extension OnCall {
    /// Writes the plan's document if the object is still as the plan read it. An object
    /// moved in between throws `.channelMoved`, saying where it is now; nothing is written.
    public func commit(_ plan: MovePlan, by writer: PointerSigner, now: Date) throws(FleetError) -> MoveResult {
        do {
            return try bucket.commit(plan, by: writer, now: now)
        } catch where error.code == .channelMoved {
            throw lostRace(plan, cause: error)
        } catch {
            throw FleetError(error, doing: "writing \(plan.scope) of \(plan.pipeline)")
        }
    }

    /// Plans writing `target` to `scope`: the one move of every command.
    /// `force`: past a quarantined version (recorded in the reason).
    public func plan(pipeline: String, scope: PointerScope, to target: MoveTarget, reason: String,
                     by writer: PointerSigner, force: Bool = false) throws(FleetError) -> MovePlan {
        do {
            return try bucket.planMove(pipeline: pipeline, scope: scope, to: target, reason: reason, by: writer,
                                       force: force)
        } catch {
            throw FleetError(error, doing: "planning the write of \(scope) of \(pipeline)")
        }
    }

    /// The error for a lost compare-and-swap, naming the move that won.
    func lostRace(_ plan: MovePlan, cause: BucketError) -> FleetError {
        let was = plan.current.map { "\(describe($0)) (serial \($0.serial))" } ?? "unset"
        var now = "moved"
        if let (pointer, _) = try? bucket.currentPointer(pipeline: plan.pipeline, scope: plan.scope) {
            now = "is now at \(describe(pointer)) (serial \(pointer.serial), signed by \(shortKeyID(pointer.issuedBy)): "
                + "\"\(oneLine(pointer.reason))\")"
        }
        return FleetError(.channelMoved, "\(plan.scope) of \(plan.pipeline) moved while this command ran: "
            + "it was \(was) when read and \(now). Nothing was written; check `ferry status \(plan.pipeline)` "
            + "and run again if the move is still wanted", cause: cause)
    }

    func describe(_ pointer: Pointer) -> String {
        pointer.release.map { "\($0.version)" } ?? "ended"
    }

    /// Plans a rollback of `channel` to `target`: the release must be published, and its
    /// digests must match what the channel once pointed at.
    /// A channel whose object was deleted is rolled back from its history: `--previous`
    /// is then the release before the last one it held.
    public func planRollback(pipeline: String, channel: String, to target: RollbackTarget, reason: String,
                             by writer: PointerSigner) throws(FleetError) -> MovePlan {
        let history = try channelHistory(pipeline: pipeline, channel: channel)
        guard let last = history.moves.first else {
            throw FleetError(.notFound, "channel \(channel) of \(pipeline) has never been set, so there is nothing to "
                + "roll back; publish a release to it, or check the name with `ferry history \(pipeline)`")
        }
        let version = try resolve(target, channel: channel, pipeline: pipeline, current: last, history: history)
        let release = try publishedRelease(pipeline: pipeline, version: version, history: history)
        return try plan(pipeline: pipeline, scope: .channel(channel), to: .release(release.pointed), reason: reason,
                        by: writer)
    }

    /// The version `target` names for a channel whose latest move is `current`.
    func resolve(_ target: RollbackTarget, channel: String, pipeline: String, current: PointerMove,
                 history: ChannelHistory) throws(FleetError) -> SemVer {
        switch target {
        case .version(let version):
            return version
        case .previous:
            guard let previous = PointerHistory.previous(current: current, moves: history.moves) else {
                throw FleetError(.invalidInput, "channel \(channel) of \(pipeline) has pointed at no "
                    + "release but \(current.version), so --previous names nothing; give --to VERSION")
            }
            return previous.version
        }
    }

    /// The published release `version`, checked against every pointer of `history` that named it.
    public func publishedRelease(pipeline: String, version: SemVer,
                                 history: ChannelHistory? = nil) throws(FleetError) -> ReleaseRef {
        let release: ReleaseRef
        do {
            release = try bucket.release(pipeline: pipeline, version: version)
        } catch where error.code == .notFound {
            let versions = (try? bucket.releases(pipeline: pipeline)) ?? []
            if versions.contains(version) {
                throw FleetError(.notFound, "release \(version) of \(pipeline) is "
                    + HalfPublished.note(pipeline: pipeline, version: version) + "; nothing was written", cause: error)
            }
            let published = ((try? bucket.releases(pipeline: pipeline)) ?? []).prefix(10).map(\.description)
            throw FleetError(.notFound, "release \(version) of \(pipeline) is not published in s3://\(bucket.name); "
                + (published.isEmpty ? "no release is" : "published: " + published.joined(separator: ", "))
                + " (see `ferry history \(pipeline)`)", cause: error)
        } catch {
            throw FleetError(error, doing: "reading release \(version) of \(pipeline)")
        }
        if let history {
            try PointerHistory.check(release, against: history.moves, channel: history.channel)
        }
        return release
    }
}
