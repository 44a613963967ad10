import Basics
import Foundation
import Manifest

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A stored artifact: its SHA-256 and size. Its bytes are `ArtifactCache.path(of:)`.
public struct StoredObject: Sendable, Hashable, Codable {
    public var sha256: String
    public var size: Int

    public init(sha256: String, size: Int) {
        self.sha256 = sha256
        self.size = size
    }
}

/// The builder's local artifact cache (default `~/.cache/ferry/artifacts`):
///
/// ```
/// objects/<sha256>          an artifact's bytes (a code zip, a file, a packaged template)
/// trees/<format>-<tree id>  "<sha256> <size>": the zip a git tree (a code folder) gave
///                           (its bytes in objects/, or only in the bucket: `ferry release`
///                           uploads code zips from memory)
/// tests/<key>               a test's passing record (`TestRecords`)
/// marks/<hash>              what the last release from here saw of a channel pointer's
///                           history (`SerialMark`, see SerialMarks.swift)
/// tmp/                      files being written; renamed into objects/ when complete
/// ```
///
/// A git tree id names a folder's exact content, and the zip of a folder depends on
/// nothing else (`FolderZip`), so a folder whose tree id is in `trees/` needs neither
/// reading nor zipping nor hashing again: a re-release zips nothing. `<format>` names
/// the zip rules; it changes when they do. Everything is written to `tmp/` and renamed,
/// so a crash never leaves a partial object under its final name, and several builds
/// may share the cache.
public struct ArtifactCache: Sendable {
    public let folder: String

    /// The version of the folder-zip rules in tree entries' names.
    static let zipFormat = "zip2"

    /// Opens (creating) the cache at `folder` (relative: to the current folder).
    public init(folder: String) throws(BuildError) {
        let absolute = folder.hasPrefix("/") ? folder : FileManager.default.currentDirectoryPath + "/" + folder
        self.folder = PackagerPaths.normalize(absolute)
        for sub in ["objects", "trees", "tests", "marks", "tmp"] {
            do {
                try FileManager.default.createDirectory(atPath: self.folder + "/" + sub, withIntermediateDirectories: true)
            } catch {
                throw BuildError(.cache, "cannot create the artifact cache \(self.folder); choose another with --cache-dir",
                                 cause: "\(error)")
            }
        }
    }

    /// `$XDG_CACHE_HOME/ferry/artifacts`, else `$HOME/.cache/ferry/artifacts`.
    public static func defaultFolder(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") { return xdg + "/ferry/artifacts" }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + "/.cache/ferry/artifacts"
    }

    /// Where the bytes of an object with this digest live.
    public func path(of sha256: String) -> String { folder + "/objects/" + sha256 }

    /// Whether the object is in the cache with this size.
    public func has(_ object: StoredObject) -> Bool {
        var status = stat()
        return stat(path(of: object.sha256), &status) == 0 && Int(status.st_size) == object.size
    }

    /// What the folder with git tree id `treeId` was zipped to, if that zip is still here.
    func zipOfTree(_ treeId: String) -> StoredObject? {
        treeRecord(treeId).flatMap { has($0) ? $0 : nil }
    }

    /// What the folder with git tree id `treeId` was zipped to, whether or not its bytes
    /// are here: a release that uploaded a zip from memory records its tree alone.
    func treeRecord(_ treeId: String) -> StoredObject? {
        guard let text = try? String(contentsOfFile: treeEntry(treeId), encoding: .utf8) else { return nil }
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard parts.count == 2, Hex.isSHA256(String(parts[0])), let size = Int(parts[1]) else { return nil }
        return StoredObject(sha256: String(parts[0]), size: size)
    }

    /// Records that the folder with tree id `treeId` zips to `object`. Not flushed to
    /// disk, like the zip itself: an entry a crash lost or emptied is not read
    /// (`zipOfTree`), and the folder is zipped again.
    func recordTree(_ treeId: String, zip object: StoredObject) throws(BuildError) {
        try writeAtomically(Data("\(object.sha256) \(object.size)\n".utf8), to: treeEntry(treeId), durable: false)
    }

    /// A fresh path in `tmp/` to write a file that `adopt` will move into `objects/`;
    /// removed if the command is interrupted (`Interrupts`).
    func temporaryPath() -> String {
        let path = folder + "/tmp/" + UUID().uuidString
        Interrupts.removeOnInterrupt(path)
        return path
    }

    /// Renames the complete file at `temporary`, whose digest and size are `object`
    /// (hashed as it was written), to its place in `objects/`.
    func adopt(_ temporary: String, as object: StoredObject) throws(BuildError) -> StoredObject {
        defer { Interrupts.forget(temporary) }
        guard rename(temporary, path(of: object.sha256)) == 0 else {
            let cause = String(cString: strerror(errno))
            unlink(temporary)
            throw BuildError(.cache, "cannot move an artifact into the cache \(folder)", cause: "rename: \(cause)")
        }
        return object
    }

    /// Stores bytes (a packaged template) as an object.
    func store(_ data: Data) throws(BuildError) -> StoredObject {
        let object = StoredObject(sha256: sha256Hex(data), size: data.count)
        if !has(object) { try writeAtomically(data, to: path(of: object.sha256)) }
        return object
    }

    private func treeEntry(_ treeId: String) -> String { folder + "/trees/\(Self.zipFormat)-\(treeId)" }

    func writeAtomically(_ data: Data, to destination: String, durable: Bool = true) throws(BuildError) {
        let temporary = temporaryPath()
        defer { Interrupts.forget(temporary) }
        try BuildFolder.writeAtomically(data, to: destination, via: temporary, code: .cache,
                                        unwritable: "cannot write into the artifact cache \(folder); check its permissions "
                                            + "or use --cache-dir", durable: durable)
    }

    /// SHA-256 and size of a file, read in 1 MiB blocks.
    static func digest(ofFile path: String) throws(BuildError) -> StoredObject {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw BuildError(.cache, "cannot read \(path)", cause: "open: " + String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var hasher = SHA256Hasher()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(fd, buffer.baseAddress, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw BuildError(.cache, "cannot read \(path)", cause: "read: " + String(cString: strerror(errno)))
            }
            if count == 0 { break }
            hasher.update(bytes: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
        return StoredObject(sha256: hasher.finalizeHex(), size: hasher.count)
    }
}
