import Basics
import Bucket
import Foundation
import Git
import Manifest

/// What a release did.
public struct ReleaseResult: Sendable {
    public var build: BuildResult
    public var publish: PublishResult
    /// The tag created (nil in a dry run, or when it already existed on this commit).
    public var createdTag: String?
}

/// `ferry release`: build, tag, publish — in the order that leaves nothing behind when
/// something fails before the publish:
///
/// 0. check that the agents accept the signing key for the channel's pointer;
/// 1. check the version and that the tag `v<version>` is free or already on this commit,
///    and that git knows who tags (`user.name`, `user.email`);
/// 2. build (tests gate, packaging, bundle) as if the tag existed;
/// 3. only then create the annotated tag `v<version>` — a failed test or build leaves no tag;
/// 4. publish (artifacts, release objects, pointer).
///
/// The artifacts are uploaded as soon as each exists, while the build is still packaging
/// (after the tests: a failed test still leaves the bucket untouched). The channel's
/// pointer is read at the start, beside the build; the working tree's status note comes
/// at the end.
///
/// If the publish fails after the tag was created, the tag stays (it names the commit
/// the release was built from): run `ferry publish` on the build folder, or
/// `ferry release` again with the same version, which finds the tag on this commit.
public enum Releaser {
    /// The reads a release makes before it needs them, started by `startReads`: the
    /// channel's pointer, and HEADs of the last release's artifacts.
    public struct Reads: Sendable {
        let reading: Pending<PointerReading, BucketError>?
        let uploader: ArtifactUploader?
        /// Where the build keeps code zips for the uploader (a scratch build folder only).
        let zipMemory: ZipMemory?
    }

    /// Starts the reads of a release (on their own threads) as early as its caller can:
    /// the channel's pointer is only read (the publish plans its move from that reading,
    /// and reads again should the channel move in between), and the last release's
    /// artifacts are HEADed (unchanged code has the same keys, found checked when the
    /// build names them). A dry run uploads nothing and HEADs nothing ahead. `zipMemory`:
    /// where a scratch build folder's zips wait for their upload (nil: 256 MiB a zip,
    /// 512 MiB in all).
    public static func startReads(_ build: BuildRequest, bucket: SharedBucket, channel: String?, trust: TrustStore,
                                  dryRun: Bool, progress: BuildProgress = .silent, zipMemory: ZipMemory? = nil) -> Reads {
        let cache = build.cache, pipeline = build.pipeline
        let reading = channel.map { channel in
            Pending { () throws(BucketError) -> PointerReading in
                let key = try bucket.pointerKey(pipeline: pipeline, scope: .channel(channel))
                return try bucket.readPointer(pipeline: pipeline, scope: .channel(channel), trust: trust,
                                              known: cache.serialMark(bucket: bucket.name, key: key))
            }
        }
        // Nothing reads a scratch build folder's zips from the cache afterwards: they go
        // from memory to the bucket, and the cache records their trees.
        let zipMemory = !dryRun && build.scratchOutput
            ? zipMemory ?? ZipMemory(perZip: zipMemoryPerZip, total: zipMemoryTotal) : nil
        let uploader = dryRun ? nil : ArtifactUploader(bucket: bucket, progress: progress, zipMemory: zipMemory)
        uploader?.prefetch(cache.lastArtifacts(bucket: bucket.name, pipeline: pipeline))
        return Reads(reading: reading, uploader: uploader, zipMemory: zipMemory)
    }

    /// `reads`: from `startReads` with the same request, bucket, channel and writer's
    /// trust (nil: started here).
    public static func release(_ build: BuildRequest, version: SemVer, bucket: SharedBucket, channel: String?,
                               writer: PointerSigner, reason: String? = nil, dryRun: Bool = false, now: Date = Date(),
                               progress: BuildProgress = .silent, reads: Reads? = nil) throws(BuildError) -> ReleaseResult {
        // A key the agents would refuse burns nothing: checked before the build and the tag.
        if let channel {
            do {
                try writer.trust.checkSigner(writer.key.id, for: .channel(channel))
            } catch {
                throw BuildError(.untrustedSigner, error.message + "; nothing was built, tagged or uploaded")
            }
        }
        let repository: Repository
        let tagger: Signature
        do {
            repository = try Repository.open(build.repository)
            tagger = try repository.defaultSignature()
        } catch {
            throw BuildError(error, doing: "preparing the release tag v\(version)")
        }
        var request = build
        request.plannedTag = PlannedTag(version: version, tagger: tagger,
                                        message: "Release \(version) (ferry release \(build.pipeline))")
        let cache = build.cache, pipeline = build.pipeline
        let started = reads ?? startReads(build, bucket: bucket, channel: channel, trust: writer.trust, dryRun: dryRun,
                                          progress: progress)
        let reading = started.reading
        // Artifacts go up while the build still zips others (after the tests passed:
        // packaging starts only then). Content-addressed, they are harmless should the
        // build fail later: nothing points at them.
        let uploader = started.uploader
        if let uploader {
            request.onArtifact = { uploader.submit($0) }
            request.zipMemory = started.zipMemory
        }
        let built: BuildResult
        do {
            built = try ReleaseBuilder.build(request, progress: progress, deferringNote: true)
        } catch {
            _ = try? uploader?.finish()
            throw error
        }
        // The working tree's status still runs beside the uploads and the publish; its
        // note comes last, whatever happens.
        defer { built.noteUncommitted(progress) }
        let handled = try uploader?.finish() ?? [:]

        var createdTag: String?
        let tagName = request.plannedTag!.name
        if dryRun {
            progress.note("dry run: would create tag \(tagName) on \(built.snapshot.commit.id.prefix(12))")
        } else {
            do {
                if try repository.tag(named: tagName) == nil {
                    try repository.createAnnotatedTag(name: tagName, commit: built.snapshot.commit,
                                                      message: request.plannedTag!.message, tagger: tagger)
                    createdTag = tagName
                }
            } catch {
                throw BuildError(error, doing: "creating tag \(tagName)")
            }
        }
        let finish = "the tag \(tagName) exists on commit \(built.snapshot.commit.id.prefix(12)): run the same "
            + "`ferry release \(build.pipeline) \(version)` again to finish the release (it reuses the tag; what is "
            + "already in the bucket is not written twice)"
        if !dryRun { Interrupts.setNote(finish) }
        defer { Interrupts.setNote(nil) }
        let published: PublishResult
        do {
            published = try Publisher.publish(
                PublishRequest(folder: built.folder, bucket: bucket, channel: channel, writer: writer, reason: reason,
                               dryRun: dryRun, now: now, handled: handled, marks: build.cache, reading: reading),
                progress: progress)
        } catch where !dryRun {
            throw BuildError(error.code, error.message + ". Nothing an agent reads was changed, but " + finish,
                             cause: error.cause)
        }
        if !dryRun {
            cache.keepLastArtifacts(published.uploaded + published.present, bucket: bucket.name, pipeline: pipeline)
        }
        return ReleaseResult(build: built, publish: published, createdTag: createdTag)
    }

    /// The largest code zip a release keeps in memory, and the most all its zips waiting
    /// for their upload may hold (a zip that does not fit is a file of the cache).
    static let zipMemoryPerZip = 256 << 20
    static let zipMemoryTotal = 512 << 20

    /// The channels `pipelines/<pipeline>.yaml` declares at the commit `build` names, so
    /// the command can refuse a mistyped `--channel` before the tests run.
    public static func declaredChannels(_ build: BuildRequest) throws(BuildError) -> [String] {
        let repository: Repository
        do {
            repository = try Repository.open(build.repository)
        } catch {
            throw BuildError(error, doing: "opening the repository at \(build.repository)")
        }
        let commit: Commit
        do {
            commit = try repository.resolve(build.ref)
        } catch {
            throw BuildError(error, doing: "resolving '\(build.ref)'")
        }
        return try Checkout.definition(build.pipeline, commit: commit, repository: repository).channels
    }
}
