import AWS
import Basics
import Foundation
import Manifest

/// One write of a pointer object (a channel or a pin), decided from one read of it:
/// publish, release, promote, rollback, pin, unpin and refresh all plan and commit this.
///
/// Planning reads the current document and its ETag, verifies its signature against the
/// fleet's trust set, reads the object's version history for the next serial, and
/// refuses a signer the agents would not accept for the scope. It writes nothing.
/// Committing writes only if the object is still as read (compare-and-swap on the ETag).
public struct MovePlan: Sendable, Equatable {
    public let pipeline: String
    public let scope: PointerScope
    /// The object's key in the bucket.
    public let objectKey: String
    /// The current document when its signature verified; nil for none or one that did not.
    public let current: Pointer?
    /// The current object's ETag as read (nil: no object, so the write is create-only).
    public let etag: String?
    /// Why the current object was not used (it did not verify), for the caller to show.
    public let currentProblem: String?
    /// One above the highest serial of every readable version of the object.
    public let serial: Int
    /// What the new document names; nil ends a pin.
    public let release: PointedRelease?
    public let reason: String
    /// The key that will sign; checked against the trust set for `scope`.
    public let signer: KeyID
    /// The new document expires this long after it is issued.
    public let lifetime: TimeInterval
    /// Write even when `Pointer.isUnchanged` says nothing changed (`ferry refresh`).
    public let rewrite: Bool
    /// The channel's rollout block the new document carries (nil: none).
    public let rollout: Rollout?
    /// The object's history as read (its latest version and highest serial), for the
    /// writer to keep; nil when the store gave no version id.
    public let mark: SerialMark?

    public init(pipeline: String, scope: PointerScope, objectKey: String, current: Pointer?, etag: String?,
                currentProblem: String? = nil, serial: Int, release: PointedRelease?, reason: String, signer: KeyID,
                lifetime: TimeInterval = Pointer.defaultLifetime, rewrite: Bool = false, rollout: Rollout? = nil,
                mark: SerialMark? = nil) {
        self.pipeline = pipeline
        self.scope = scope
        self.objectKey = objectKey
        self.current = current
        self.etag = etag
        self.currentProblem = currentProblem
        self.serial = serial
        self.release = release
        self.reason = reason
        self.signer = signer
        self.lifetime = lifetime
        self.rewrite = rewrite
        self.rollout = rollout
        self.mark = mark
    }

    /// The one "unchanged" rule (`Pointer.isUnchanged`): same release, same signer; and
    /// the same rollout block.
    public var changesNothing: Bool {
        !rewrite && Pointer.isUnchanged(current, release: release, signer: signer) && current?.rollout == rollout
    }

    /// The document this plan writes, issued at `now`.
    public func document(now: Date) -> Pointer {
        Pointer(pipeline: pipeline, scope: scope, serial: serial, release: release, issuedAt: Timestamp.format(now),
                expiresAt: Timestamp.format(now.addingTimeInterval(lifetime)), reason: reason, issuedBy: signer,
                rollout: rollout, schema: Pointer.schema(for: rollout))
    }
}

/// What a move does to a channel's rollout block.
public enum RolloutUpdate: Sendable, Equatable {
    /// Carry the current document's block (its quarantine included) as it is.
    case keep
    /// Write this block (`ferry rollout`); nil removes it.
    case set(Rollout?)
}

/// What a move writes.
public enum MoveTarget: Sendable, Equatable {
    /// Name this release.
    case release(PointedRelease)
    /// End a silo's pin (`ferry unpin`): a signed pin that names no release.
    case end
    /// Re-sign what the object names now, with the next serial and a new `expiresAt`
    /// (`ferry refresh`); written even though nothing else changed. The current document
    /// must verify.
    case refresh
}

/// Who writes a pointer: the signing key, the fleet's trust set (the `--trust FILE=ROLES`
/// list the agents get) that the key and the current document are checked against, and
/// how long what it signs stays valid.
public struct PointerSigner: Sendable {
    public let key: SigningKey
    public let trust: TrustStore
    public let lifetime: TimeInterval

    public init(key: SigningKey, trust: TrustStore, lifetime: TimeInterval = Pointer.defaultLifetime) {
        self.key = key
        self.trust = trust
        self.lifetime = lifetime
    }
}

/// What a writer learnt of a pointer object's history, to give to its next move of the
/// same object (`planMove(known:)`): the object's latest version, and the highest serial
/// of every version up to it.
///
/// A versioned bucket gives every write and every delete marker a new version id that
/// is never reused. So while the object's latest version is still `versionId`, no
/// version was added since; versions can only have been removed, which lowers the
/// history's highest serial. `highestSerial` + 1 is then above every serial of the
/// history, as listing and reading every version would find, without the listing.
public struct SerialMark: Sendable, Equatable {
    public let versionId: String
    public let highestSerial: Int

    public init(versionId: String, highestSerial: Int) {
        self.versionId = versionId
        self.highestSerial = highestSerial
    }

    /// A mark for the version `versionId`; nil without a usable id (an unversioned or
    /// suspended bucket says `null` for every write).
    init?(versionId: String?, highestSerial: Int) {
        guard let versionId, !versionId.isEmpty, versionId != "null" else { return nil }
        self.init(versionId: versionId, highestSerial: highestSerial)
    }
}

/// What a writer read of a pointer object to plan a move (`SharedBucket.readPointer`).
public struct PointerReading: Sendable, Equatable {
    public let pipeline: String
    public let scope: PointerScope
    public let objectKey: String
    /// The current document when its signature verified against the writer's trust set.
    let current: Pointer?
    /// The object's ETag and version id as read; nil when there is no object.
    let etag: String?
    let versionId: String?
    /// Why the current object is not built on (it did not verify).
    let problem: String?
    /// Serials of the object's history (or the writer's mark of it).
    let history: [Int]
}

/// What committing a move did.
public enum MoveResult: Sendable, Equatable {
    /// A new document was written.
    case moved(from: Pointer?, to: Pointer)
    /// The object already named the release, signed by the same key: nothing was written.
    case unchanged(Pointer)

    /// The document the object holds now.
    public var pointer: Pointer {
        switch self {
        case .moved(_, let pointer), .unchanged(let pointer): pointer
        }
    }
}

extension SharedBucket {
    /// The object key of a pointer of `scope`.
    public func pointerKey(pipeline: String, scope: PointerScope) throws(BucketError) -> String {
        try key { () throws(ManifestError) in
            switch scope {
            case .channel(let channel): try layout.channel(pipeline: pipeline, channel: channel)
            case .silo(let silo): try layout.pin(pipeline: pipeline, silo: silo)
            }
        }
    }

    /// The current document of `scope` and its ETag, or nil when there is none. The
    /// signature is NOT checked: for views (status, history) only; writers use `planMove`.
    public func currentPointer(pipeline: String, scope: PointerScope) throws(BucketError) -> (Pointer, etag: String)? {
        let objectKey = try pointerKey(pipeline: pipeline, scope: scope)
        guard case .found(let data, let etag) = try read(key: objectKey, cap: SizeCap.pointer) else { return nil }
        do {
            return (try unverifiedContents(Pointer.self, ofEnvelope: data), etag)
        } catch {
            throw BucketError(error, reading: "\(scope) of \(pipeline)")
        }
    }

    /// Plans writing `target` to `scope`, signed by `writer`; see
    /// `MovePlan`. Throws `.untrustedSigner` before reading anything when the agents
    /// trusting `trust` would refuse `signer` for this scope.
    ///
    /// A channel's rollout block is carried as it is unless `rollout` sets another, so
    /// promote, rollback and refresh keep the waves and the quarantine. A move of a
    /// channel to a version its rollout quarantines is refused unless `force` (the
    /// reason says why; it is recorded in the pointer).
    ///
    /// The next serial is one above every version of the object's history: the versions
    /// are listed and read, unless `known` (this writer's mark of its last move or plan
    /// of the object) names the object's latest version, so none was added since, or
    /// the object has no version at all (a HEAD finds neither an object nor a delete
    /// marker: a channel or pin never set has no history to list).
    public func planMove(pipeline: String, scope: PointerScope, to target: MoveTarget, reason: String,
                         by writer: PointerSigner, rollout: RolloutUpdate = .keep,
                         force: Bool = false, known: SerialMark? = nil) throws(BucketError) -> MovePlan {
        try checkMove(scope: scope, to: target, by: writer)
        let reading = try readPointer(pipeline: pipeline, scope: scope, trust: writer.trust, known: known)
        return try planMove(reading, to: target, reason: reason, by: writer, rollout: rollout, force: force)
    }

    /// `planMove` from a `PointerReading` made earlier (`readPointer`), with no request:
    /// `ferry release` reads the channel's pointer beside its build. A plan from a reading
    /// that is no longer the object's state fails its commit with `.channelMoved`.
    public func planMove(_ reading: PointerReading, to target: MoveTarget, reason: String, by writer: PointerSigner,
                         rollout: RolloutUpdate = .keep, force: Bool = false) throws(BucketError) -> MovePlan {
        let (pipeline, scope, current) = (reading.pipeline, reading.scope, reading.current)
        try checkMove(scope: scope, to: target, by: writer)
        var reason = reason
        if case .release(let named) = target, let block = current?.rollout, block.isQuarantined(named.version) {
            guard force else {
                throw BucketError(.quarantined, "\(named.version) of \(pipeline) is quarantined by the rollout of \(scope); "
                    + "nothing was written: release a fixed version, or pass --force with a --reason")
            }
            reason += " [forced past the quarantine of \(named.version)]"
        }
        let release: PointedRelease?
        switch target {
        case .release(let named): release = named
        case .end: release = nil
        case .refresh:
            guard let current else {
                throw BucketError(.notFound, reading.problem.map { "cannot refresh: \($0)" }
                    ?? "\(scope) of \(pipeline) has never been set: there is nothing to refresh")
            }
            release = current.release
        }
        let serials = reading.history + [current?.serial ?? 0]
        let serial: Int
        do {
            serial = try Pointer.nextSerial(after: serials)
        } catch {
            throw BucketError(error, reading: "the history of \(scope) of \(pipeline)")
        }
        return MovePlan(pipeline: pipeline, scope: scope, objectKey: reading.objectKey, current: current,
                        etag: reading.etag, currentProblem: reading.problem, serial: serial, release: release,
                        reason: reason, signer: writer.key.id, lifetime: writer.lifetime, rewrite: target == .refresh,
                        rollout: { if case .set(let block) = rollout { block } else {
                            current?.rollout?.carried(from: current?.release, to: release) } }(),
                        mark: SerialMark(versionId: reading.versionId, highestSerial: serials.max() ?? 0))
    }

    /// Refuses, before anything is read or written, a signer the agents would not accept
    /// for `scope`, and the end of a channel.
    private func checkMove(scope: PointerScope, to target: MoveTarget, by writer: PointerSigner) throws(BucketError) {
        do {
            try writer.trust.checkSigner(writer.key.id, for: scope)
        } catch {
            throw BucketError(.untrustedSigner, error.message + "; nothing was written")
        }
        if target == .end, case .channel = scope {
            throw BucketError(.invalidDocument, "a channel pointer must name a release: only a pin can end")
        }
    }

    /// Reads what a move of `scope` builds on: the current document (checked against
    /// `trust`), its ETag and version, and the serials of its history (see `planMove`).
    public func readPointer(pipeline: String, scope: PointerScope, trust: TrustStore,
                            known: SerialMark? = nil) throws(BucketError) -> PointerReading {
        let objectKey = try pointerKey(pipeline: pipeline, scope: scope)
        var current: Pointer?, etag: String?, versionId: String?, problem: String?
        if let (data, info) = try readPointerObject(objectKey) {
            etag = info.etag ?? ""
            versionId = info.versionId
            do {
                current = try verifyPointer(bytes: data, trust: trust)
            } catch {
                problem = "the current \(scope) of \(pipeline) does not verify against the trusted keys "
                    + "(\(error.message)); it is replaced, not built on"
            }
        }
        let history: [Int]
        if let known, versionId != nil, known.versionId == versionId {
            history = [known.highestSerial]
        } else if etag == nil, try neverWritten(objectKey) {
            history = []
        } else {
            history = try historySerials(objectKey)
        }
        return PointerReading(pipeline: pipeline, scope: scope, objectKey: objectKey, current: current, etag: etag,
                              versionId: versionId, problem: problem, history: history)
    }

    /// Whether `objectKey` has no version at all, neither a document nor a delete marker
    /// (HEAD: 404 without `x-amz-delete-marker`). One short request instead of a listing,
    /// which on moto copies every version of the whole bucket.
    private func neverWritten(_ objectKey: String) throws(BucketError) -> Bool {
        do {
            return try store.headLatest(bucket: name, key: objectKey) == .absent
        } catch {
            throw BucketError(error, doing: "reading s3://\(name)/\(objectKey)")
        }
    }

    /// The pointer object's bytes and what the GET said of it (ETag, version id); nil
    /// when there is none.
    private func readPointerObject(_ objectKey: String) throws(BucketError) -> (Data, S3.ObjectInfo)? {
        let result: S3.GetResult<Data>
        do {
            result = try store.getObject(bucket: name, key: objectKey, options: S3.GetOptions(), limit: SizeCap.pointer)
        } catch where error.isNotFound {
            return nil
        } catch where error.cause?.code == .tooLarge {
            throw BucketError(.tooLarge, "s3://\(name)/\(objectKey) is larger than the \(SizeCap.pointer) bytes Ferry reads "
                + "for it: refused")
        } catch {
            throw BucketError(error, doing: "reading s3://\(name)/\(objectKey)")
        }
        guard case .object(let info, let body) = result else {
            throw BucketError(.storage, "s3://\(name)/\(objectKey): S3 answered 304 to an unconditional GET")
        }
        return (body, info)
    }

    /// Writes the plan's document, signed by `key`, if the object is still as planned.
    /// A write in between throws `.channelMoved`; nothing is written.
    public func commit(_ plan: MovePlan, by writer: PointerSigner, now: Date) throws(BucketError) -> MoveResult {
        try commitMarked(plan, by: writer, now: now).result
    }

    /// `commit`, and the object's mark after it (`SerialMark`): the version written and
    /// its serial, or the plan's mark when nothing was written.
    public func commitMarked(_ plan: MovePlan, by writer: PointerSigner,
                             now: Date) throws(BucketError) -> (result: MoveResult, mark: SerialMark?) {
        let signer = writer.key
        if plan.changesNothing, let current = plan.current { return (.unchanged(current), plan.mark) }
        guard signer.id == plan.signer else {
            throw BucketError(.untrustedSigner, "the plan was checked for key \(plan.signer), not \(signer.id); "
                + "nothing was written")
        }
        let document = plan.document(now: now)
        let sealed: Data
        do {
            sealed = try sealPointer(document, with: signer)
        } catch {
            throw BucketError(error, reading: "the new \(plan.scope) of \(plan.pipeline)")
        }
        let written = try swapObject(key: plan.objectKey, data: sealed, expecting: plan.etag)
        return (.moved(from: plan.current, to: document),
                SerialMark(versionId: written.versionId, highestSerial: document.serial))
    }

    /// The serial of every readable version of `objectKey` (delete markers and documents
    /// that do not parse carry none). Signatures are not checked: a serial only has to be
    /// above every one an agent may have accepted, under any key ever trusted.
    /// The versions are read 8 at a time, each distinct content (ETag) once: a document
    /// written back is the same bytes as the version it copies.
    func historySerials(_ objectKey: String) throws(BucketError) -> [Int] {
        var seen: Set<String> = []
        let reads = try versions(of: objectKey).filter { version in
            !version.isDeleteMarker && (version.etag.map { seen.insert($0).inserted } ?? true)
        }
        let bucket = self
        return try parallelMap(reads, width: 8) { (version) throws(BucketError) -> Int? in
            guard case .found(let data, _) = try bucket.read(key: objectKey, versionId: version.versionId,
                                                             cap: SizeCap.pointer) else { return nil }
            return (try? unverifiedContents(Pointer.self, ofEnvelope: data))?.serial
        }.compactMap { $0 }
    }
}
