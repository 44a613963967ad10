import Bucket
import Foundation
import Manifest

/// A move of a channel decided from one read of it. Committing it writes only if the
/// channel is still as it was read (compare-and-swap on the ETag read): two on-call
/// engineers acting on the same state cannot both win, and the loser writes nothing.
public struct ChannelMovePlan: Sendable, Equatable {
    public let pipeline: String
    public let channel: String
    /// The pointer as read, nil for a channel never set.
    public let current: ChannelPointer?
    /// The pointer object's ETag as read.
    public let etag: String?
    public let target: ReleaseRef
    public let reason: String

    public init(pipeline: String, channel: String, current: ChannelPointer?, etag: String?, target: ReleaseRef,
                reason: String) {
        self.pipeline = pipeline
        self.channel = channel
        self.current = current
        self.etag = etag
        self.target = target
        self.reason = reason
    }

    /// The channel already names exactly this release, signed by `signer`, and does not
    /// expire: nothing to write. The same release under another key is written again
    /// (serial + 1): that re-signs a channel during a key rotation, and agents that run
    /// the release already leave it as it is.
    public func changesNothing(signer: KeyID) -> Bool {
        guard let current else { return false }
        return current.isSameRelease(as: target) && current.expiresAt == nil && current.issuedBy == signer
    }

    /// The pointer this move writes: the next serial, signed by `key` at `now`.
    public func pointer(key: SigningKey, now: Date) -> ChannelPointer {
        ChannelPointer(pipeline: pipeline, channel: channel, serial: (current?.serial ?? 0) + 1,
                       version: target.version, manifestSha256: target.manifestSha256,
                       bundleSha256: target.bundleSha256, issuedAt: Timestamp.format(now), reason: reason,
                       issuedBy: key.id)
    }
}

/// What committing a channel move did.
public enum ChannelMoveResult: Sendable, Equatable {
    /// A new pointer was written.
    case moved(from: ChannelPointer?, to: ChannelPointer)
    /// The channel already named the release: nothing was written.
    case unchanged(ChannelPointer)

    /// The pointer the channel has now.
    public var pointer: ChannelPointer {
        switch self {
        case .moved(_, let pointer), .unchanged(let pointer): pointer
        }
    }
}

/// What rollback moves to.
public enum RollbackTarget: Sendable, Equatable {
    case version(SemVer)
    /// The release the channel pointed at before the current one.
    case previous
}

extension OnCall {
    /// Writes the plan's pointer if the channel is still as the plan read it. A channel
    /// moved in between throws `.channelMoved`, saying where it is now; nothing is written.
    public func commit(_ plan: ChannelMovePlan, key: SigningKey, now: Date) throws(FleetError) -> ChannelMoveResult {
        if plan.changesNothing(signer: key.id), let current = plan.current { return .unchanged(current) }
        let objectKey = try channelKey(pipeline: plan.pipeline, channel: plan.channel)
        let pointer = plan.pointer(key: key, now: now)
        let sealed: Data
        do {
            sealed = try sealPointer(pointer, with: key)
        } catch {
            throw FleetError(.invalidInput, "cannot sign the new pointer of \(plan.channel): \(error.message)")
        }
        do {
            try bucket.swap(key: objectKey, data: sealed, expecting: plan.etag)
        } catch where error.code == .channelMoved {
            throw lostRace(plan, cause: error)
        } catch {
            throw FleetError(error, doing: "writing the pointer of channel \(plan.channel)")
        }
        return .moved(from: plan.current, to: pointer)
    }

    /// The error for a lost compare-and-swap, naming the move that won.
    func lostRace(_ plan: ChannelMovePlan, cause: BucketError) -> FleetError {
        let was = plan.current.map { "\($0.version) (serial \($0.serial))" } ?? "unset"
        var now = "moved"
        if let (pointer, _) = try? bucket.currentPointer(pipeline: plan.pipeline, channel: plan.channel) {
            now = "is now at \(pointer.version) (serial \(pointer.serial), signed by \(shortKeyID(pointer.issuedBy)): "
                + "\"\(oneLine(pointer.reason))\")"
        }
        return FleetError(.channelMoved, "channel \(plan.channel) of \(plan.pipeline) moved while this command ran: "
            + "it was \(was) when read and \(now). Nothing was written; check `ferry status \(plan.pipeline)` "
            + "and run again if the move is still wanted", cause: cause)
    }

    /// Plans a rollback of `channel` to `target`: the release must be published, and its
    /// digests must match what the channel once pointed at.
    public func planRollback(pipeline: String, channel: String, to target: RollbackTarget,
                             reason: String) throws(FleetError) -> ChannelMovePlan {
        guard let (current, etag) = try pointer(pipeline: pipeline, channel: channel) else {
            throw FleetError(.notFound, "channel \(channel) of \(pipeline) has never been set, so there is nothing to "
                + "roll back; publish a release to it, or check the name with `ferry history \(pipeline)`")
        }
        let history = try channelHistory(pipeline: pipeline, channel: channel)
        let version = try resolve(target, current: current, history: history)
        let release = try publishedRelease(pipeline: pipeline, version: version, history: history)
        return ChannelMovePlan(pipeline: pipeline, channel: channel, current: current, etag: etag, target: release,
                               reason: reason)
    }

    /// The version `target` names for a channel now at `current`.
    func resolve(_ target: RollbackTarget, current: ChannelPointer, history: ChannelHistory) throws(FleetError) -> SemVer {
        switch target {
        case .version(let version):
            return version
        case .previous:
            guard let previous = PointerHistory.previous(current: current, moves: history.moves) else {
                throw FleetError(.invalidInput, "channel \(current.channel) of \(current.pipeline) has pointed at no "
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
