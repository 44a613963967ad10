import AWS
import Foundation
import HTTP
import Manifest

/// The builder's `ArtifactSink`: makes each artifact (deterministic zips by `FolderZip`,
/// files as they are, packaged nested templates) into an object of the local
/// `ArtifactCache`, named by its SHA-256 under `PREFIX/artifacts/sha256/<hex>`.
/// Uploading is `ferry publish`'s job.
///
/// Code folders are looked up by git tree id first (`treeId`): a folder already zipped
/// in an earlier build is neither read nor zipped again. `prepare(folders:)` zips the
/// folders that are not cached in parallel, before the packager asks for them one by one.
final class CacheArtifactSink: ArtifactSink {
    let bucket: String
    let layout: BucketLayout
    let objectURLBase: String
    let cache: ArtifactCache
    /// The exported source folder: nothing outside it is stored.
    let root: String
    /// Folders (relative to `root`) the export skipped because the cache had their zip.
    let skipped: [String]
    /// The git tree id of a folder, by its path relative to `root`; nil when unknown.
    let treeId: (String) -> String?

    /// Every object stored, by key.
    private(set) var stored: [String: StoredObject] = [:]
    private(set) var zippedFolders = 0
    private(set) var reusedFolders = 0
    private var folders: [String: StoredObject] = [:]

    init(bucket: String, layout: BucketLayout, objectURLBase: String, cache: ArtifactCache, root: String,
         skipped: [String], treeId: @escaping (String) -> String?) {
        self.bucket = bucket
        self.layout = layout
        self.objectURLBase = objectURLBase
        self.cache = cache
        self.root = PackagerPaths.normalize(root)
        self.skipped = skipped
        self.treeId = treeId
    }

    /// Zips, on up to `width` threads, those of `paths` (absolute folder paths) that the
    /// cache does not already hold by tree id.
    func prepare(folders paths: [String], width: Int) throws(BuildError) {
        var todo: [(path: String, tree: String?)] = []
        for path in Set(paths).sorted() where folders[path] == nil {
            let relative = try self.relative(path)
            try checkComplete(relative, path)
            let tree = treeId(relative)
            if let tree, let object = cache.zipOfTree(tree) {
                folders[path] = object
                reusedFolders += 1
            } else {
                todo.append((path, tree))
            }
        }
        let cache = self.cache
        let made = try parallelMap(todo, width: width) { (item) throws(BuildError) -> StoredObject in
            let temporary = cache.temporaryPath()
            try FolderZip.zip(folder: item.path, to: temporary)
            let object = try cache.adopt(temporary)
            if let tree = item.tree { try cache.recordTree(tree, zip: object) }
            return object
        }
        for (item, object) in zip(todo, made) { folders[item.path] = object }
        zippedFolders += todo.count
    }

    func storeFolder(at path: String) throws -> ArtifactLocation {
        let path = PackagerPaths.normalize(path)
        if folders[path] == nil { try prepare(folders: [path], width: 1) }
        return try location(folders[path]!)
    }

    func storeZippedFile(at path: String) throws -> ArtifactLocation {
        _ = try relative(path)
        let temporary = cache.temporaryPath()
        try FolderZip.zip(file: path, to: temporary)
        return try location(try cache.adopt(temporary))
    }

    func storeFile(at path: String) throws -> ArtifactLocation {
        _ = try relative(path)
        return try location(try cache.store(file: path))
    }

    func storeBytes(_ data: Data, suggestedName: String) throws -> ArtifactLocation {
        try location(try cache.store(data))
    }

    /// Stores a packaged template too large to pass inline (the agent deploys it by URL).
    func storeTemplate(_ data: Data) throws(BuildError) -> ArtifactLocation {
        try location(try cache.store(data))
    }

    private func location(_ object: StoredObject) throws(BuildError) -> ArtifactLocation {
        let key: String
        do {
            key = try layout.artifact(sha256: object.sha256)
        } catch {
            throw BuildError(error, doing: "naming an artifact")
        }
        stored[key] = object
        return ArtifactLocation(bucket: bucket, key: key, sha256: object.sha256, size: object.size)
    }

    /// `path` relative to `root` ("" for the root itself); refuses anything outside it.
    private func relative(_ path: String) throws(BuildError) -> String {
        let path = PackagerPaths.normalize(path)
        if path == root { return "" }
        guard path.hasPrefix(root + "/") else {
            throw BuildError(.packaging, "\(path) is outside the source folder; a template may only point at files "
                + "of its pipeline's source.path")
        }
        return String(path.dropFirst(root.count + 1))
    }

    /// A folder that is, contains or lies in a folder the export skipped would be zipped
    /// incomplete unless the cache holds its zip: refuse, and the build exports
    /// everything and packages again.
    private func checkComplete(_ relative: String, _ path: String) throws(BuildError) {
        if let tree = treeId(relative), cache.zipOfTree(tree) != nil { return }
        for folder in skipped
        where relative.isEmpty || folder == relative || folder.hasPrefix(relative + "/") || relative.hasPrefix(folder + "/") {
            throw BuildError(.packaging, "\(path) was not exported in full (the cache entry of \(folder) went missing)")
        }
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
