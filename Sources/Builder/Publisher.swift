import Basics
import Bucket
import Foundation
import Manifest
import Synchronization

/// What `ferry publish` needs.
public struct PublishRequest: Sendable {
    /// The folder `ferry build` wrote.
    public var folder: BuildFolder
    public var bucket: SharedBucket
    /// The channel to move to this release; nil publishes without moving any channel.
    public var channel: String?
    /// Signs the channel pointer (a key the trust set holds as `release` or `oncall`),
    /// with the trust set it is checked against and the pointer's lifetime.
    public var writer: PointerSigner
    /// Why the channel moves (the pointer's `reason`); default "publish <version>".
    public var reason: String?
    /// Read the bucket, write nothing; the result says what would be written.
    public var dryRun: Bool
    public var now: Date
    /// Uploads at once.
    public var width: Int
    /// Artifacts already checked or uploaded (by `ferry release` while it built): key →
    /// whether it was uploaded. They are not looked at again.
    public var handled: [String: Bool]
    /// Where the channel pointer's `SerialMark` is kept from one release to the next
    /// (`ferry release`: the artifact cache); nil lists the pointer's history every time.
    public var marks: ArtifactCache?
    /// The channel's pointer as read beside the build (`ferry release`); a plan from it
    /// whose commit meets a moved channel is made again from a new reading, once.
    public var reading: Pending<PointerReading, BucketError>?

    public init(folder: BuildFolder, bucket: SharedBucket, channel: String?, writer: PointerSigner, reason: String? = nil,
                dryRun: Bool = false, now: Date = Date(), width: Int = 8, handled: [String: Bool] = [:],
                marks: ArtifactCache? = nil, reading: Pending<PointerReading, BucketError>? = nil) {
        self.folder = folder
        self.bucket = bucket
        self.channel = channel
        self.writer = writer
        self.reason = reason
        self.dryRun = dryRun
        self.now = now
        self.width = width
        self.handled = handled
        self.marks = marks
        self.reading = reading
    }
}

/// What a publish did (or, in a dry run, would do).
public struct PublishResult: Sendable {
    public var release: ReleaseRef
    /// `PREFIX/releases/<pipeline>/<version>/`.
    public var releaseKey: String
    /// Artifact keys uploaded, and the bytes they held.
    public var uploaded: [String]
    public var uploadedBytes: Int64
    /// Artifact keys that were already in the bucket (one HEAD each, no upload).
    public var present: [String]
    /// Release objects written, and those that already held these exact bytes.
    public var written: [String]
    public var alreadyThere: [String]
    /// The channel's pointer after the publish; nil without a channel or in a dry run.
    public var pointer: MoveResult?
    /// In a dry run, the serial the pointer would get (nil when it would not move).
    public var wouldMoveTo: Int?
    public var dryRun: Bool
}

/// The master leg from a built bundle to the bucket, in the order that never exposes a
/// half-published release: content-addressed artifacts (HEAD first; only missing ones
/// are uploaded), then the release objects (bundle, signature, manifest: write-once —
/// identical bytes already there are fine, different bytes are refused), then the
/// channel pointer last (compare-and-swap, serial + 1; a channel already at this
/// release does not move).
public enum Publisher {
    public static func publish(_ request: PublishRequest, progress: BuildProgress = .silent) throws(BuildError) -> PublishResult {
        var clock = PhaseClock()
        let release = try PublishPlan.load(request.folder, for: request.bucket)
        let bucket = request.bucket
        let pipeline = release.manifest.pipeline, version = release.manifest.version
        let ref = ReleaseRef(pipeline: pipeline, version: version, manifestSha256: sha256Hex(release.manifestBytes),
                             bundleSha256: release.bundleSha256)

        // 0. The pointer's move is planned first: a key the agents would refuse, or a
        // current pointer that cannot be read, stops the publish before anything is written.
        let early = request.reading
        let move = try request.channel.map { (channel) throws(BuildError) -> MovePlan in
            try planChannel(channel, of: ref, request: request, early: early)
        }
        if let problem = move?.currentProblem { progress.note("warning: " + problem) }

        // 1. Artifacts.
        let upload = try uploadArtifacts(release.artifacts, to: bucket, dryRun: request.dryRun, handled: request.handled,
                                         width: request.width, progress: progress)
        let verb = request.dryRun ? "would upload" : "uploaded"
        progress.phase("upload", clock.lap(), "\(verb) \(upload.uploaded.count) artifacts (\(megabytes(upload.bytes))), "
            + "\(upload.present.count) already in the bucket")

        // 2. Release objects: the bundle and the signature (at once), the manifest last.
        let objects: [(key: String, source: ReleaseObject)] = [
            (release.keys.bundle, .file(request.folder.file(BuildFolder.bundle), release.bundleSha256)),
            (release.keys.signature, .bytes(release.signature)),
        ]
        let dryRun = request.dryRun
        let first = try parallelMap(objects, width: 2) { (object) throws(BuildError) -> Bool in
            try object.source.write(to: bucket, key: object.key, dryRun: dryRun)
        }
        let last = try ReleaseObject.bytes(release.manifestBytes).write(to: bucket, key: release.keys.manifest, dryRun: dryRun)
        var written: [String] = [], alreadyThere: [String] = []
        for (key, isNew) in zip(objects.map(\.key) + [release.keys.manifest], first + [last]) {
            if isNew { written.append(key) } else { alreadyThere.append(key) }
        }
        progress.phase("release", clock.lap(), "\(request.dryRun ? "would write" : "wrote") \(written.count) release objects"
            + (alreadyThere.isEmpty ? "" : ", \(alreadyThere.count) already there with these bytes")
            + " under s3://\(bucket.name)/\(release.keys.folder)")

        // 3. The pointer, last.
        var pointer: MoveResult?
        var wouldMoveTo: Int?
        if let move, let channel = request.channel {
            if request.dryRun {
                let same = move.changesNothing
                wouldMoveTo = same ? nil : move.serial
                let from = move.current.flatMap { current in current.release.map { "\($0.version) (serial \(current.serial))" } }
                progress.phase("pointer", clock.lap(), same ? "channel \(channel) is already at \(version)"
                    : "would move channel \(channel) from \(from ?? "nothing") to \(version) (serial \(move.serial))")
            } else {
                let result = try commitChannel(move, channel, of: ref, request: request, early: early, progress: progress)
                pointer = result
                switch result {
                case .moved(_, let document):
                    progress.phase("pointer", clock.lap(), "channel \(channel) -> \(version) (serial \(document.serial))")
                case .unchanged(let document):
                    progress.phase("pointer", clock.lap(), "channel \(channel) already at \(version) (serial \(document.serial))")
                }
            }
        }
        return PublishResult(release: ref, releaseKey: release.keys.folder, uploaded: upload.uploaded,
                             uploadedBytes: upload.bytes, present: upload.present, written: written,
                             alreadyThere: alreadyThere, pointer: pointer, wouldMoveTo: wouldMoveTo, dryRun: request.dryRun)
    }

    /// The move of `channel` to `ref`: planned from `early` (the reading `ferry release`
    /// started beside its build) when it is of this channel's object, else read now.
    static func planChannel(_ channel: String, of ref: ReleaseRef, request: PublishRequest,
                            early: Pending<PointerReading, BucketError>?) throws(BuildError) -> MovePlan {
        let bucket = request.bucket, pipeline = ref.pipeline
        let reason = request.reason ?? "publish \(ref.version)"
        do throws(BucketError) {
            let key = try bucket.pointerKey(pipeline: pipeline, scope: .channel(channel))
            if let reading = try? early?.value(), reading.objectKey == key {
                return try bucket.planMove(reading, to: .release(ref.pointed), reason: reason, by: request.writer)
            }
            return try bucket.planMove(pipeline: pipeline, scope: .channel(channel), to: .release(ref.pointed),
                                       reason: reason, by: request.writer,
                                       known: request.marks?.serialMark(bucket: bucket.name, key: key))
        } catch {
            throw BuildError(error, doing: "planning the move of channel \(channel) of \(pipeline)")
        }
    }

    /// Writes the planned move of `channel` (compare-and-swap) and keeps its mark. A plan
    /// made from `early` that meets a moved channel is made again from a new reading and
    /// written, once: the early reading only saved a request.
    static func commitChannel(_ planned: MovePlan, _ channel: String, of ref: ReleaseRef, request: PublishRequest,
                              early: Pending<PointerReading, BucketError>?,
                              progress: BuildProgress) throws(BuildError) -> MoveResult {
        var plan = planned, again = early != nil
        while true {
            do throws(BucketError) {
                let (result, mark) = try request.bucket.commitMarked(plan, by: request.writer, now: request.now)
                request.marks?.keepSerialMark(mark, bucket: request.bucket.name, key: plan.objectKey)
                return result
            } catch where error.code == .channelMoved && again {
                again = false
                plan = try planChannel(channel, of: ref, request: request, early: nil)
                if let problem = plan.currentProblem { progress.note("warning: " + problem) }
            } catch where error.code == .channelMoved {
                throw BuildError(.channelMoved, "channel \(channel) of \(ref.pipeline) moved while this publish ran (someone "
                    + "else moved it at the same moment): nothing of the pointer was written and the release objects are "
                    + "in place. Run ferry publish again to retry; it will build on the new pointer")
            } catch {
                throw BuildError(error, doing: "moving channel \(channel) of \(ref.pipeline)")
            }
        }
    }

    /// HEADs every artifact not yet `handled` on `width` threads; uploads the missing ones.
    static func uploadArtifacts(_ artifacts: [BuildFolder.Artifacts.Entry], to bucket: SharedBucket, dryRun: Bool,
                                handled: [String: Bool], width: Int, progress: BuildProgress) throws(BuildError)
        -> (uploaded: [String], present: [String], bytes: Int64)
    {
        let done = Mutex<Int64>(0)
        let total = artifacts.reduce(0) { $0 + Int64($1.size) }
        let todo = artifacts.filter { handled[$0.key] == nil }
        let outcomes = try parallelMap(todo, width: width) { (artifact) throws(BuildError) -> Bool in
            let uploaded = try ensure(artifact, in: bucket, dryRun: dryRun)
            if uploaded {
                let sent = done.withLock { value -> Int64 in
                    value += Int64(artifact.size)
                    return value
                }
                progress.transfer(sent, total)
            }
            return uploaded
        }
        let checked = handled.merging(zip(todo.map(\.key), outcomes)) { $1 }
        var uploaded: [String] = [], present: [String] = [], bytes: Int64 = 0
        for artifact in artifacts {
            if checked[artifact.key] == true {
                uploaded.append(artifact.key)
                bytes += Int64(artifact.size)
            } else {
                present.append(artifact.key)
            }
        }
        return (uploaded, present, bytes)
    }

    /// One artifact in the bucket: a HEAD; when missing, its local file is checked
    /// against its digest and written once. True when it was (or, in a dry run, would be)
    /// uploaded.
    static func ensure(_ artifact: BuildFolder.Artifacts.Entry, in bucket: SharedBucket, dryRun: Bool) throws(BuildError) -> Bool {
        try ensure(MadeArtifact(entry: artifact, bytes: .cached), in: bucket, dryRun: dryRun)
    }

    /// As `ensure(_:in:dryRun:)`, from where the build left the bytes: a file it wrote and
    /// hashed, or bytes in memory, are not hashed again; a zip known only by its tree is
    /// made again when the bucket lacks it (in `zipMemory`, given back after the upload).
    static func ensure(_ made: MadeArtifact, in bucket: SharedBucket, dryRun: Bool,
                       zipMemory: ZipMemory? = nil) throws(BuildError) -> Bool {
        let artifact = made.entry
        let there: Bool
        do throws(BucketError) {
            there = try bucket.exists(key: artifact.key)
        } catch {
            throw BuildError(error, doing: "checking artifact \(artifact.key)")
        }
        if there { return false }
        let bytes: Data
        var remadeInMemory = 0
        defer { zipMemory?.give(remadeInMemory) }
        switch made.bytes {
        case .memory(let kept): bytes = kept
        case .remade(let remake):
            guard !dryRun else { return true }
            let remade = try remake()
            defer { remade.discard() }
            switch remade {
            case .memory(let kept):
                remadeInMemory = kept.count
                bytes = kept
            case .file(let path):
                var entry = made.entry
                entry.file = path
                return try ensureFile(MadeArtifact(entry: entry, bytes: .written), in: bucket, dryRun: false)
            }
        case .cached, .written: return try ensureFile(made, in: bucket, dryRun: dryRun)
        }
        guard !dryRun else { return true }
        do throws(BucketError) {
            _ = try bucket.writeOnce(key: artifact.key, data: bytes, sha256: artifact.sha256)
        } catch {
            throw BuildError(error, doing: "uploading artifact \(artifact.key)")
        }
        return true
    }

    /// The upload of an artifact the bucket lacks from its file in the cache: a file
    /// this build did not write is checked against its digest first.
    private static func ensureFile(_ made: MadeArtifact, in bucket: SharedBucket, dryRun: Bool) throws(BuildError) -> Bool {
        let artifact = made.entry
        guard FileManager.default.fileExists(atPath: artifact.file) else {
            throw BuildError(.cache, "artifact \(artifact.key) is not in the bucket, and its file \(artifact.file) is not "
                + "in the artifact cache of this machine: publish where you built, or build again here")
        }
        if case .cached = made.bytes {
            let local = try ArtifactCache.digest(ofFile: artifact.file)
            guard local.sha256 == artifact.sha256, local.size == artifact.size else {
                throw BuildError(.cache, "the cached artifact \(artifact.file) no longer has the sha256 the build "
                    + "recorded (\(artifact.sha256)): the cache was changed (or a crash damaged it); remove that file and build again")
            }
        }
        guard !dryRun else { return true }
        do throws(BucketError) {
            _ = try bucket.writeOnce(key: artifact.key, file: artifact.file, sha256: artifact.sha256)
        } catch {
            throw BuildError(error, doing: "uploading artifact \(artifact.key)")
        }
        return true
    }

    static func megabytes(_ bytes: Int64) -> String { String(format: "%.1f MB", Double(bytes) / 1_000_000) }
}

/// A release object's bytes: a file (with its digest) or data.
enum ReleaseObject {
    case file(String, String)
    case bytes(Data)

    /// Writes once; true when written, false when the same bytes were there. A dry run
    /// only reads (one HEAD) and throws `.releaseExists` as the write would.
    func write(to bucket: SharedBucket, key: String, dryRun: Bool) throws(BuildError) -> Bool {
        do throws(BucketError) {
            if dryRun {
                let sha256 = switch self {
                case .file(_, let digest): digest
                case .bytes(let data): sha256Hex(data)
                }
                let existing: String?
                do {
                    existing = try bucket.digest(of: key)
                } catch where error.code == .notFound {
                    return true
                }
                guard existing == sha256 else {
                    throw BucketError(.releaseExists, "s3://\(bucket.name)/\(key) already exists with different bytes: "
                        + "a published release is never replaced; publish a new version")
                }
                return false
            }
            let outcome = switch self {
            case .file(let path, let digest): try bucket.writeOnce(key: key, file: path, sha256: digest)
            case .bytes(let data): try bucket.writeOnce(key: key, data: data)
            }
            return outcome == .written
        } catch {
            throw BuildError(error, doing: "publishing \(key)")
        }
    }
}
