import Basics
import Foundation
import Git
import Manifest

/// What `ferry build` needs.
public struct BuildRequest: Sendable {
    /// A folder in the repository (it is discovered upward, as git does).
    public var repository: String
    /// The pipeline's name: its definition is `pipelines/<name>.yaml` in the commit built.
    public var pipeline: String
    /// A tag, branch, commit id or `HEAD`.
    public var ref: String
    /// Where bundle.zip, manifest.json, manifest.sig and artifacts.json go (created).
    public var output: String
    /// Run the tests even when the cache has a passing record of each for this tree.
    public var retest: Bool
    /// The bucket and layout the artifacts' keys and URLs name.
    public var bucket: String
    public var layout: BucketLayout
    /// The base of artifact URLs (`ArtifactLocation.urlBase(for:)`).
    public var objectURLBase: String
    public var cache: ArtifactCache
    /// Signs the manifest (the `builder` role).
    public var key: SigningKey
    /// The manifest's `source.repository`; default the pipeline's name. Not the folder's
    /// name: the same commit must give the same bundle wherever it is checked out.
    public var repositoryName: String?
    /// For `ferry release`: the tag that will be created after the build.
    public var plannedTag: PlannedTag?
    /// The environment tests run with (plus each test's `env`).
    public var environment: [String: String]
    /// Threads that zip code folders at once.
    public var width: Int
    /// Told of each artifact the moment it exists, from any thread (`ferry release`
    /// uploads them while the build goes on), with where its bytes are.
    public var onArtifact: (@Sendable (MadeArtifact) -> Void)?
    /// The output folder is scratch, removed when the command ends (`ferry release`
    /// without `--out`): its files are not flushed to disk one by one.
    public var scratchOutput = false
    /// Code zips are kept in memory for `onArtifact` (which uploads them), as far as this
    /// has room, and not written to the cache, which records only their tree; nil: every
    /// zip is a file of the cache. For a release whose build folder is scratch: nothing
    /// reads the zips from the cache afterwards. Such a release also takes a folder whose
    /// tree the cache knows without its zip as zipped: `onArtifact` is told how to make
    /// the zip again, should the bucket lack it.
    public var zipMemory: ZipMemory?

    public init(repository: String, pipeline: String, ref: String = "HEAD", output: String, bucket: String,
                layout: BucketLayout = BucketLayout(), objectURLBase: String, cache: ArtifactCache, key: SigningKey,
                repositoryName: String? = nil, plannedTag: PlannedTag? = nil, retest: Bool = false,
                environment: [String: String] = ProcessInfo.processInfo.environment,
                width: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.repository = repository
        self.pipeline = pipeline
        self.ref = ref
        self.output = output
        self.bucket = bucket
        self.layout = layout
        self.objectURLBase = objectURLBase
        self.cache = cache
        self.key = key
        self.repositoryName = repositoryName
        self.plannedTag = plannedTag
        self.retest = retest
        self.environment = environment
        self.width = width
        onArtifact = nil
    }
}

/// What a build made.
public struct BuildResult: Sendable {
    public var snapshot: SourceSnapshot
    public var bundle: BuiltBundle
    public var folder: BuildFolder
    /// Code folders zipped in this build, and those whose zip the cache already had.
    public var zippedFolders: Int
    public var reusedFolders: Int
    /// The working tree's status, still running when the build was asked to leave it
    /// (`build(deferringNote: true)`); `noteUncommitted` waits for it.
    let uncommitted: Pending<String?, Never>?

    /// Waits for the working tree's status, if the build left it running, and gives its
    /// note (uncommitted changes that are not in the build).
    public func noteUncommitted(_ progress: BuildProgress) {
        if let text = uncommitted?.value() { progress.note(text) }
    }
}

/// The master leg up to a local, signed bundle: resolve the commit, read its pipeline
/// definition, run the tests gate, package the templates, write the bundle.
public enum ReleaseBuilder {
    /// Builds `request.ref`. Nothing is written to the bucket. Throws `.testFailed`
    /// when a test fails (nothing is written to `output` then). With `deferringNote`, the
    /// working tree's status (a stat of every file) may still run when the build returns:
    /// the caller goes on (a release uploads) and calls `noteUncommitted` at its end.
    public static func build(_ request: BuildRequest, progress: BuildProgress = .silent,
                             deferringNote: Bool = false) throws(BuildError) -> BuildResult {
        var clock = PhaseClock()
        let repository: Repository
        do {
            repository = try Repository.open(request.repository)
        } catch {
            throw BuildError(error, doing: "opening the repository at \(request.repository)")
        }
        let snapshot = try SourceSnapshot.resolve(request.ref, in: repository, planned: request.plannedTag)
        let definition = try Checkout.definition(request.pipeline, commit: snapshot.commit, repository: repository)
        let atHead = repository.workdir != nil && (try? repository.resolve("HEAD"))?.id == snapshot.commit.id
        // The working tree's status (a stat of every file, more after a fresh copy) runs
        // beside the listing of the commit, the packaging and the bundle, on its own thread
        // and repository handle; its note is given once the bundle is written.
        let repositoryPath = repository.path
        let status = atHead ? Pending { () -> String? in
            guard let repository = try? Repository.open(repositoryPath) else { return nil }
            return uncommittedNote(definition, snapshot: snapshot, repository: repository)
        } : nil
        var handedOver = false
        defer { if !handedOver { _ = status?.value() } }  // a failed build does not leave it running

        let files = try CommitFiles(repository: repository, commit: snapshot.commit, sourcePath: definition.source.path)
        progress.phase("source", clock.lap(), "\(definition.name) \(snapshot.version) at \(snapshot.commit.id.prefix(12)): "
            + "\(files.entries.count) files and folders, read from the commit")

        // Every template and path is checked before the tests: a typo fails in a second, not after them.
        let plan = try StackPackaging.plan(definition, files: files)
        let tests = try runTests(definition, snapshot: snapshot, repository: repository, request: request,
                                 progress: progress, clock: &clock)

        let sink = CommitArtifactSink(bucket: request.bucket, layout: request.layout, objectURLBase: request.objectURLBase,
                                      cache: request.cache, files: files, repositoryPath: repository.path,
                                      workingTree: atHead, onArtifact: request.onArtifact,
                                      zipMemory: request.zipMemory)
        let packaged = try StackPackaging.package(plan, sink: sink, width: request.width)
        progress.phase("package", clock.lap(), "\(packaged.count) templates, \(sink.stored.count) artifacts "
            + "(\(sink.zippedFolders) folders zipped, \(sink.reusedFolders - sink.recordedFolders) from the cache"
            + (sink.recordedFolders > 0 ? ", \(sink.recordedFolders) zipped by an earlier release)" : ")"))

        do {
            try FileManager.default.createDirectory(atPath: request.output, withIntermediateDirectories: true)
        } catch {
            throw BuildError(.invalidInput, "cannot create the output folder \(request.output)", cause: "\(error)")
        }
        let folder = BuildFolder(request.output)
        let bundle = try BundleWriter.write(
            pipeline: definition.name, snapshot: snapshot, repositoryName: request.repositoryName ?? definition.name,
            tests: tests, stacks: packaged, order: definition.deploymentOrder(), artifacts: sink.stored,
            key: request.key, to: folder.file(BuildFolder.bundle), durable: !request.scratchOutput)
        let list = BuildFolder.Artifacts(
            bucket: request.bucket, prefix: request.layout.prefix,
            artifacts: try sink.stored.keys.sorted().map { (key) throws(BuildError) in
                try CommitArtifactSink.entry(sink.stored[key]!, layout: request.layout, cache: request.cache)
            })
        try folder.write(bundle, artifacts: list, durable: !request.scratchOutput)
        progress.phase("bundle", clock.lap(), "\(definition.name) \(snapshot.version): bundle sha256 \(bundle.bundleSha256)")
        handedOver = true
        let result = BuildResult(snapshot: snapshot, bundle: bundle, folder: folder, zippedFolders: sink.zippedFolders,
                                 reusedFolders: sink.reusedFolders, uncommitted: status)
        if !deferringNote { result.noteUncommitted(progress) }
        return result
    }
}

extension ReleaseBuilder {
    /// When the commit built is the working tree's HEAD (the caller checks) and the tree
    /// has uncommitted changes to what the build reads (the source folder, the pipeline
    /// definition), a note saying they are not in the build: the bundle is made from the
    /// commit alone.
    static func uncommittedNote(_ definition: PipelineDefinition, snapshot: SourceSnapshot,
                                repository: Repository) -> String? {
        let read = [definition.source.path.isEmpty ? "." : definition.source.path, "pipelines/\(definition.name).yaml"]
        guard let paths = try? repository.uncommittedPaths(under: read), let first = paths.first else { return nil }
        let more = paths.count > 1 ? " and \(paths.count - 1) more" : ""
        return "uncommitted changes are not in this build (\(first)\(more)): ferry builds commit "
            + "\(snapshot.commit.id.prefix(12)) as committed; commit them and build again to ship them"
    }

    /// The tests gate, or the records of a tree that already passed it (`TestRecords`).
    /// The tests get a checkout of their own: what they write never reaches a zip, which
    /// is made from the commit itself.
    static func runTests(_ definition: PipelineDefinition, snapshot: SourceSnapshot, repository: Repository,
                         request: BuildRequest, progress: BuildProgress,
                         clock: inout PhaseClock) throws(BuildError) -> TestsGate.Record {
        guard !definition.tests.isEmpty else { return TestsGate.Record() }
        let records = TestRecords(cache: request.cache, treeId: snapshot.commit.treeId)
        if !request.retest, let passes = records.passes(of: definition.tests) {
            var record = TestsGate.Record()
            for pass in passes {
                record.append(pass.run, log: pass.log)
                progress.note("tests: \(pass.name) passed (recorded \(pass.recordedAt) for tree "
                    + "\(snapshot.commit.treeId.prefix(12)); --retest runs it again)")
            }
            progress.phase("tests", clock.lap(), "\(passes.count) passed before on this tree; none ran")
            return record
        }
        let scratch = try Scratch(in: request.cache)
        let summary = try Checkout.export(definition, snapshot.commit, repository, to: scratch.path + "/source")
        progress.phase("export", clock.lap(), "\(summary.files.count) files of \(snapshot.commit.id.prefix(12)) for the tests")
        let record = try TestsGate.run(definition.tests, in: scratch.path + "/source", environment: request.environment,
                                       progress: progress) { (test, run, log) throws(BuildError) in
            try records.keep(test, run: run, log: log, now: Date())
        }
        progress.phase("tests", clock.lap(), "\(record.runs.count) passed")
        return record
    }
}

/// A private working folder in the cache's `tmp/`, removed when released.
final class Scratch {
    let path: String

    init(in cache: ArtifactCache) throws(BuildError) {
        path = cache.temporaryPath()
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        } catch {
            throw BuildError(.cache, "cannot create a working folder in \(cache.folder)", cause: "\(error)")
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
