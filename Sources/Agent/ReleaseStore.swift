import Archive
import Basics
import Bucket
import Foundation
import Manifest

/// Releases on this silo's disk (`<state-dir>/releases`): fetched from the shared bucket,
/// verified before anything is applied (DESIGN.md steps 4–5), unpacked safely, and
/// pruned once no stack needs them.
///
/// ```
/// <root>/.incoming/               the bundle being downloaded and the staging folder
/// <root>/<pipeline>/<version>-<source>-<serial>/   an unpacked, verified release
/// ```
public struct ReleaseStore {
    public let bucket: SharedBucket
    public let trust: TrustStore
    public let root: String
    public let limits: ExtractLimits
    /// Called with `downloaded` and `unpacked` (the test hook can stop the agent there).
    public var checkpoint: (String) -> Void

    public init(bucket: SharedBucket, trust: TrustStore, root: String, limits: ExtractLimits,
                checkpoint: @escaping (String) -> Void = { _ in }) {
        self.bucket = bucket
        self.trust = trust
        self.root = root
        self.limits = limits
        self.checkpoint = checkpoint
    }

    /// A release fetched and verified: its manifest and the folder it was unpacked into.
    public struct Prepared {
        public var manifest: Manifest
        public var folder: String
    }

    /// Where `target` of `pipeline` is unpacked.
    public func folder(pipeline: String, target: Target) -> String {
        let source = switch target.source {
        case .channel(let name): "channel-" + name
        case .pin: "pin"
        }
        return "\(root)/\(pipeline)/\(target.version)-\(source)-\(target.serial)"
    }

    /// Fetches and verifies `target`, then unpacks it into `folder(pipeline:target:)`
    /// (replacing anything there: the caller never prepares a release in use):
    ///
    /// 1. `manifest.json` (at most `SizeCap.manifest` bytes) whose SHA-256 is the pointer's
    ///    `manifestSha256`, signed (`manifest.sig`) by a trusted `builder` key, naming this
    ///    pipeline and version;
    /// 2. the bundle, streamed to disk, at most `Manifest.bundleSizeLimit` bytes, with the
    ///    pointer's `bundleSha256`;
    /// 3. unpacked with `Archive.extract` (no `..`, absolute names, links, devices; the
    ///    configured limits) into a fresh staging folder; every file's size and SHA-256 as
    ///    the manifest lists it, no file missing, none extra, and the zip's
    ///    `manifest.json` the verified bytes.
    ///
    /// Throws `.refused` (needs a person; nothing is left on disk) when the release does
    /// not verify, or `.service` when the bucket could not be read (transient or denied).
    public func prepare(pipeline: String, target: Target) throws(AgentError) -> Prepared {
        let name = target.describe(pipeline: pipeline)
        let layout = bucket.layout
        let (manifestKey, signatureKey, bundleKey) = try keys(name) { () throws(ManifestError) in
            (try layout.manifest(pipeline: pipeline, version: target.version),
             try layout.signature(pipeline: pipeline, version: target.version),
             try layout.bundle(pipeline: pipeline, version: target.version))
        }
        let manifestBytes = try read(manifestKey, cap: SizeCap.manifest, what: "the manifest of \(name)")
        guard sha256Hex(manifestBytes) == target.manifestSha256 else {
            throw Self.refusal("the manifest of \(name) (\(manifestKey)) is not the one its pointer names: its SHA-256 "
                + "differs from manifestSha256; it was replaced or the pointer was made for other bytes")
        }
        let signature = try read(signatureKey, cap: SizeCap.signature, what: "the manifest signature of \(name)")
        let manifest: Manifest
        do {
            manifest = try verifyManifest(bytes: manifestBytes, signature: signature, trust: trust)
        } catch {
            throw Self.refusal("the manifest of \(name) was refused: \(error.message)")
        }
        guard manifest.pipeline == pipeline, manifest.version == target.version else {
            throw Self.refusal("the manifest at \(manifestKey) is for \(manifest.pipeline) \(manifest.version), not "
                + "\(pipeline) \(target.version): refused")
        }

        // A signed manifest may still list absurd sizes: refuse them before downloading.
        guard let unpacked = manifest.unpackedSize(manifestBytes: manifestBytes.count), unpacked <= limits.maxBytes else {
            throw Self.refusal("the manifest of \(name) lists files of more than \(limits.maxBytes) bytes in all (the "
                + "max-unpacked-bytes limit), or sizes that add up past what a number holds: refused")
        }
        let incoming = root + "/.incoming"
        try fresh(incoming)
        let bundlePath = "\(incoming)/bundle-\(target.bundleSha256.prefix(16)).zip"
        defer { try? FileManager.default.removeItem(atPath: incoming) }
        do {
            _ = try bucket.download(key: bundleKey, to: bundlePath,
                                    limit: manifest.bundleSizeLimit(manifestBytes: manifestBytes.count),
                                    sha256: target.bundleSha256)
        } catch {
            throw problem(error, what: "the bundle of \(name)")
        }
        checkpoint("downloaded")

        let staging = "\(incoming)/staging"
        _ = try Self.unpack(bundle: bundlePath, into: staging, manifest: manifest, manifestBytes: manifestBytes,
                        limits: limits, name: name)

        let destination = folder(pipeline: pipeline, target: target)
        do {
            try FileManager.default.createDirectory(atPath: root + "/" + pipeline, withIntermediateDirectories: true)
            if FileManager.default.fileExists(atPath: destination) {
                try FileManager.default.removeItem(atPath: destination)
            }
            try FileManager.default.moveItem(atPath: staging, toPath: destination)
        } catch {
            throw AgentError(.service, "cannot move the unpacked release into \(destination): \(error); check the "
                + "state folder's disk", next: .transient, cause: error)
        }
        checkpoint("unpacked")
        return Prepared(manifest: manifest, folder: destination)
    }

    /// Removes the release folders of `pipeline` that hold none of `paths` (the journal's
    /// `pathsInUse`). Returns the folders removed.
    @discardableResult
    public func prune(pipeline: String, keeping paths: [String]) -> [String] {
        let base = root + "/" + pipeline
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: base) else { return [] }
        var removed: [String] = []
        for name in names.sorted() {
            let folder = base + "/" + name
            let used = paths.contains { $0 == folder || $0.hasPrefix(folder + "/") }
            if !used, (try? FileManager.default.removeItem(atPath: folder)) != nil { removed.append(folder) }
        }
        return removed
    }

    // MARK: Checks

    /// Unpacks `bundle` into `folder` (which must not exist) with `Archive.extract` and
    /// checks the files against `manifest` (whose bytes are `manifestBytes`): every file's
    /// size and SHA-256, nothing missing, nothing extra, and the zip's `manifest.json`
    /// equal to `manifestBytes`. Throws `.refused`; the caller removes `folder` then.
    public static func unpack(bundle: String, into folder: String, manifest: Manifest, manifestBytes: Data,
                              limits: ExtractLimits, name: String) throws(AgentError) -> [ExtractedFile] {
        let files: [ExtractedFile]
        do {
            // No CRC-32 check: `check` below holds every file to the signed manifest's SHA-256.
            files = try extract(zip: bundle, into: folder, limits: limits, skipCRC: true)
        } catch where Self.isLocalFailure(error) {
            // A full disk, an I/O error, no memory: this silo's trouble, not the release's.
            throw AgentError(.service, "the bundle of \(name) could not be unpacked into \(folder): \(error); check "
                + "the state folder's disk (space, inodes, permissions); the agent tries again", next: .transient)
        } catch {
            throw Self.refusal("the bundle of \(name) was refused while unpacking: \(error)"
                + (error.entry.map { " (entry \($0))" } ?? ""))
        }
        try check(files, against: manifest, manifestBytes: manifestBytes, name: name)
        return files
    }

    /// Whether an unpack failure is the silo's own (reading or writing its disk, memory),
    /// never a verdict on the release: such a failure is transient, not a refusal.
    /// An I/O error counts only for the errors of a disk or a machine (a name too long
    /// for the file system is the release's: it would fail on every try).
    public static func isLocalFailure(_ error: ArchiveError) -> Bool {
        switch error.code {
        case .io: localErrors.contains(error.cause ?? "")
        case .library, .destinationExists: true
        case .unsafePath, .link, .unsupportedEntryType, .duplicateEntry, .unsortedEntries, .tooManyEntries, .tooLarge,
             .compressionRatio, .sizeMismatch, .corrupt: false
        }
    }

    /// `strerror` of the errors that say "this machine", as `ArchiveError.cause` carries them.
    static let localErrors: Set<String> = Set([ENOSPC, EDQUOT, EIO, EROFS, ENOMEM, EMFILE, ENFILE, EACCES, EPERM, EAGAIN]
        .map { String(cString: strerror($0)) })

    /// Every unpacked file as the manifest lists it, nothing missing, nothing extra.
    private static func check(_ files: [ExtractedFile], against manifest: Manifest, manifestBytes: Data,
                       name: String) throws(AgentError) {
        var expected = Dictionary(manifest.files.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        var sawManifest = false
        for file in files {
            if file.path == BundleLayout.manifest {
                guard file.size == Int64(manifestBytes.count), file.sha256 == sha256Hex(manifestBytes) else {
                    throw Self.refusal("the bundle of \(name) carries a manifest.json other than the signed "
                        + "one: refused")
                }
                sawManifest = true
                continue
            }
            guard let listed = expected.removeValue(forKey: file.path) else {
                throw Self.refusal("the bundle of \(name) holds \(file.path), which the signed manifest "
                    + "does not list: refused")
            }
            guard Int64(listed.size) == file.size, listed.sha256 == file.sha256 else {
                throw Self.refusal("\(file.path) in the bundle of \(name) is not the file the manifest "
                    + "signed (size \(file.size), sha256 \(file.sha256); signed: size \(listed.size), sha256 "
                    + "\(listed.sha256)): the bundle was altered; refused")
            }
        }
        guard sawManifest else {
            throw Self.refusal("the bundle of \(name) has no manifest.json: refused")
        }
        if let missing = expected.keys.sorted().first {
            throw Self.refusal("the bundle of \(name) lacks \(missing), which the signed manifest lists"
                + (expected.count > 1 ? " (and \(expected.count - 1) more)" : "") + ": refused")
        }
    }

    // MARK: Helpers

    private func read(_ key: String, cap: Int, what: String) throws(AgentError) -> Data {
        do {
            return try bucket.require(key: key, cap: cap, what: what)
        } catch {
            throw problem(error, what: what)
        }
    }

    private func keys<T>(_ name: String, _ make: () throws(ManifestError) -> T) throws(AgentError) -> T {
        do {
            return try make()
        } catch {
            throw Self.refusal("\(name) cannot be named in the bucket: \(error.message)")
        }
    }

    private func fresh(_ folder: String) throws(AgentError) {
        do {
            if FileManager.default.fileExists(atPath: folder) { try FileManager.default.removeItem(atPath: folder) }
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw AgentError(.service, "cannot prepare \(folder): \(error); check the state folder's disk",
                             next: .transient, cause: error)
        }
    }

    private static func refusal(_ message: String) -> AgentError {
        AgentError(.refused, message, next: .needsPerson)
    }

    /// A bucket failure: a refusal when the object is missing, too large or not the
    /// signed bytes; else transient (network, throttling) or a person's job (access denied).
    private func problem(_ error: BucketError, what: String) -> AgentError {
        switch error.code {
        case .notFound, .tooLarge, .digestMismatch, .invalidDocument:
            return Self.refusal("\(what) was refused: \(error.message)")
        case .storage, .releaseExists, .channelMoved, .untrustedSigner, .noSuchBucket, .unversioned,
             .quarantined:
            return .bucket(error, "reading \(what)")
        }
    }
}
