import AWS
import Basics
import Foundation
import Git
import Manifest

/// The builder's `ArtifactSink`: makes each artifact — deterministic zips of code
/// folders (`FolderZip`), files as they are, packaged nested templates — into an object
/// of the local `ArtifactCache`, named by its SHA-256 under
/// `PREFIX/artifacts/sha256/<hex>`. Everything is read from the commit (`CommitFiles`).
/// Uploading is `ferry publish`'s job.
///
/// A code folder is looked up by its git tree id first: one the cache already zipped
/// is neither read nor zipped again. `prepare(folders:)` zips the folders the cache
/// lacks in parallel, each thread with its own `Repository`, before the packager asks
/// for them one by one.
final class CommitArtifactSink: ArtifactSink {
    let bucket: String
    let layout: BucketLayout
    let objectURLBase: String
    let cache: ArtifactCache
    let files: CommitFiles
    /// Where to open the repository again, for threads.
    let repositoryPath: String
    /// The commit is the working tree's HEAD: a file there identical to its blob (by its
    /// git id) is read instead of the blob (`BlobReader`).
    let workingTree: Bool
    /// Told of each artifact the moment it exists (any thread), so it can be uploaded
    /// while the build goes on, with where its bytes are.
    let onArtifact: (@Sendable (MadeArtifact) -> Void)?
    /// Where code zips may stay in memory, handed to `onArtifact` (see `BuildRequest`).
    let zipMemory: ZipMemory?

    /// Every object stored, by key.
    private(set) var stored: [String: StoredObject] = [:]
    private(set) var zippedFolders = 0
    /// Folders not zipped: the cache held their zip, or (`recordedFolders` of them) only
    /// the record that an earlier release zipped them.
    private(set) var reusedFolders = 0
    private(set) var recordedFolders = 0
    private var folders: [String: StoredObject] = [:]
    /// The digests of the zips this build wrote (and hashed as it wrote them).
    private var madeHere: Set<String> = []
    /// The digests of zips already handed to `onArtifact` with their bytes in memory.
    private var handedInMemory: Set<String> = []
    /// The zips the cache knows by their tree only, by digest: their folder, whose files
    /// are listed only to make the zip again should the bucket lack it.
    private var knownByTree: [String: String] = [:]

    init(bucket: String, layout: BucketLayout, objectURLBase: String, cache: ArtifactCache, files: CommitFiles,
         repositoryPath: String, workingTree: Bool = false, onArtifact: (@Sendable (MadeArtifact) -> Void)? = nil,
         zipMemory: ZipMemory? = nil) {
        self.bucket = bucket
        self.layout = layout
        self.objectURLBase = objectURLBase
        self.cache = cache
        self.files = files
        self.repositoryPath = repositoryPath
        self.workingTree = workingTree
        self.onArtifact = onArtifact
        self.zipMemory = zipMemory
    }

    /// Zips, on up to `width` threads, those of `paths` (virtual folder paths) whose
    /// tree id the cache does not know. A tree the cache knows without its zip is zipped
    /// again too, unless zips go from memory to the bucket: then `onArtifact` gets a way
    /// to make it again, used only if the bucket lacks it.
    func prepare(folders paths: [String], width: Int) throws(BuildError) {
        var todo: [(path: String, tree: String, items: [FolderZip.Item])] = []
        let fromMemory = onArtifact != nil && zipMemory != nil
        for path in Set(paths.map(PackagerPaths.normalize)).sorted() where folders[path] == nil {
            let tree = try files.treeId(of: path)
            if let object = cache.zipOfTree(tree) {
                folders[path] = object
                reusedFolders += 1
            } else if fromMemory, let object = cache.treeRecord(tree) {
                folders[path] = object
                knownByTree[object.sha256] = path
                reusedFolders += 1
                recordedFolders += 1
            } else {
                todo.append((path, tree, files.files(under: path)))
            }
        }
        guard !todo.isEmpty else { return }
        let cache = self.cache, repositoryPath = self.repositoryPath, layout = self.layout, onArtifact = self.onArtifact
        let workingTree = self.workingTree, memory = onArtifact == nil ? nil : zipMemory
        // A zip kept in memory goes to `onArtifact` (the upload) with its bytes; only its
        // tree is recorded. Any other becomes a file of the cache.
        let adopt = { @Sendable (tree: String, temporary: String, made: FolderZip.Made) throws(BuildError) -> Adopted in
            if let bytes = made.bytes {
                Interrupts.forget(temporary)
                try cache.recordTree(tree, zip: made.object)
                onArtifact?(MadeArtifact(entry: try Self.entry(made.object, layout: layout, cache: cache), bytes: .memory(bytes)))
                return Adopted(object: made.object, inMemory: true)
            }
            let object = try cache.adopt(temporary, as: made.object)
            try cache.recordTree(tree, zip: object)
            onArtifact?(MadeArtifact(entry: try Self.entry(object, layout: layout, cache: cache), bytes: .written))
            return Adopted(object: object, inMemory: false)
        }
        // A large folder gets every core for its files, one folder after the other: each
        // is finished (and its upload started) as early as possible, and the uploads
        // overlap the zipping of the next, whose files the threads start on while one is
        // written. Small folders share the cores among themselves, more threads than
        // cores: equal shares finish together.
        var made: [String: Adopted] = [:]
        let large = todo.filter { $0.items.count >= FolderZip.filesPerThread * width }
            .sorted { $0.items.count > $1.items.count }
        let zips = large.map { FolderZip.Folder(items: $0.items, path: cache.temporaryPath()) }
        try FolderZip.zip(zips, repositoryPath: repositoryPath, workingTree: workingTree, width: width,
                          memory: memory) { (index, zipped) throws(BuildError) in
            made[large[index].path] = try adopt(large[index].tree, zips[index].path, zipped)
        }
        let small = todo.filter { $0.items.count < FolderZip.filesPerThread * width }
        let zippedSmall = try parallelMap(small.map { ($0.tree, $0.items) }, width: min(small.count, max(width, 4))) {
            (work) throws(BuildError) -> Adopted in
            let temporary = cache.temporaryPath()
            return try adopt(work.0, temporary, try FolderZip.zip(work.1, repositoryPath: repositoryPath,
                                                                  workingTree: workingTree, to: temporary, width: 1,
                                                                  memory: memory))
        }
        for (folder, adopted) in zip(small, zippedSmall) { made[folder.path] = adopted }
        for folder in todo { folders[folder.path] = made[folder.path]!.object }
        for adopted in made.values {
            if adopted.inMemory { handedInMemory.insert(adopted.object.sha256) } else { madeHere.insert(adopted.object.sha256) }
        }
        zippedFolders += todo.count
    }

    func storeFolder(at path: String) throws -> ArtifactLocation {
        let path = PackagerPaths.normalize(path)
        if folders[path] == nil { try prepare(folders: [path], width: 1) }
        return try location(folders[path]!)
    }

    func storeZippedFile(at path: String) throws -> ArtifactLocation {
        let entry = try file(path)
        let temporary = cache.temporaryPath()
        let object = try FolderZip.zip([FolderZip.Item(name: PackagerPaths.name(path), executable: entry.kind == .executable,
                                                       blob: entry.id, path: entry.path)],
                                       repositoryPath: repositoryPath, workingTree: workingTree, to: temporary, width: 1)
        madeHere.insert(object.sha256)
        return try location(try cache.adopt(temporary, as: object))
    }

    func storeFile(at path: String) throws -> ArtifactLocation {
        let entry = try file(path)
        return try location(try cache.store(try files.repository.blob(entry.id)))
    }

    /// Stores bytes: a nested template the packager rewrote, or a packaged template too
    /// large to pass inline (the agent deploys it by URL).
    func storeBytes(_ data: Data, suggestedName: String) throws(BuildError) -> ArtifactLocation {
        try location(try cache.store(data))
    }

    /// A zip made by `prepare`: a file of the cache, or bytes handed to `onArtifact`.
    private struct Adopted: Sendable {
        var object: StoredObject
        var inMemory: Bool
    }

    /// Zips `folder`'s files again (listed only then) for a zip the cache knows only by
    /// its tree, in memory as far as `zipMemory` has room (else into a temporary file);
    /// the bytes must be those the cache recorded (the bundle names them).
    private func remake(_ folder: String, as object: StoredObject) -> @Sendable () throws(BuildError) -> RemadeZip {
        let repositoryPath = self.repositoryPath, workingTree = self.workingTree, cache = self.cache
        let memory = zipMemory, listing = files.entries
        return { () throws(BuildError) -> RemadeZip in
            let temporary = cache.temporaryPath()
            let made = try FolderZip.zip(CommitFiles.files(under: folder, in: listing), repositoryPath: repositoryPath,
                                         workingTree: workingTree, to: temporary, width: 1, memory: memory)
            guard made.object == object else {
                if let bytes = made.bytes { memory?.give(bytes.count) }
                RemadeZip.file(temporary).discard()
                throw BuildError(.cache, "the artifact cache \(cache.folder) says a code folder zips to sha256 "
                    + "\(object.sha256), but it zips to \(made.object.sha256) now, and the bucket lacks the first: remove "
                    + "the cache's trees/ folder and release again")
            }
            guard let bytes = made.bytes else { return .file(temporary) }
            Interrupts.forget(temporary)
            return .memory(bytes)
        }
    }

    private func file(_ path: String) throws(BuildError) -> TreeEntry {
        guard let entry = files.entry(path), entry.kind != .folder else {
            throw BuildError(.packaging, "\(CommitFiles.repositoryPath(path)) is not a file of the commit")
        }
        return entry
    }

    private func location(_ object: StoredObject) throws(BuildError) -> ArtifactLocation {
        let entry = try Self.entry(object, layout: layout, cache: cache)
        if stored.updateValue(object, forKey: entry.key) == nil, !handedInMemory.contains(object.sha256) {
            let bytes: MadeArtifact.Bytes
            if madeHere.contains(object.sha256) {
                bytes = .written
            } else if let folder = knownByTree[object.sha256] {
                bytes = .remade(remake(folder, as: object))
            } else {
                bytes = .cached
            }
            onArtifact?(MadeArtifact(entry: entry, bytes: bytes))
        }
        return ArtifactLocation(bucket: bucket, key: entry.key, sha256: object.sha256, size: object.size)
    }

    /// An object as an artifact to upload: its key and its file in the cache.
    static func entry(_ object: StoredObject, layout: BucketLayout,
                      cache: ArtifactCache) throws(BuildError) -> BuildFolder.Artifacts.Entry {
        do {
            return BuildFolder.Artifacts.Entry(key: try layout.artifact(sha256: object.sha256), sha256: object.sha256,
                                               size: object.size, file: cache.path(of: object.sha256))
        } catch {
            throw BuildError(error, doing: "naming an artifact")
        }
    }
}

/// An artifact as the build hands it to `BuildRequest.onArtifact`: its key and digest,
/// and where its bytes are.
public struct MadeArtifact: Sendable {
    public enum Bytes: Sendable {
        /// The file in the cache, as an earlier build left it: read and hashed again
        /// before an upload.
        case cached
        /// The file in the cache, which this build wrote and hashed moments ago.
        case written
        /// Only in memory (hashed as it was made): the cache holds no file of it.
        case memory(Data)
        /// Not here: the cache knows the zip by its folder's tree only. It is most likely
        /// in the bucket (the last release uploaded it); if not, this makes it again.
        case remade(@Sendable () throws(BuildError) -> RemadeZip)
    }

    public var entry: BuildFolder.Artifacts.Entry
    public var bytes: Bytes
}

/// A zip made again for the upload: its bytes in memory (counted in the release's
/// `ZipMemory` until released), or a temporary file of the cache, removed after use.
public enum RemadeZip: Sendable {
    case memory(Data)
    case file(String)

    /// Removes a temporary file (nothing for bytes in memory).
    func discard() {
        guard case .file(let path) = self else { return }
        unlink(path)
        Interrupts.forget(path)
    }
}

extension ArtifactLocation {
    /// The base of artifact URLs for templates (`TemplateURL`): the S3 endpoint as
    /// configured. On AWS `https://s3.<region>.amazonaws.com`; with a custom endpoint
    /// (`--endpoint-url`, e.g. moto's `http://localhost:PORT`) that endpoint.
    public static func urlBase(for config: AWSConfig) throws(AWSError) -> String {
        let endpoint = try config.endpoint(for: .s3)
        return endpoint.isCustom ? endpoint.description : awsURLBase(region: config.region)
    }
}
