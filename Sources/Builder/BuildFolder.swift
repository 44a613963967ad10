import Foundation
import Manifest

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The folder `ferry build` writes and `ferry publish` / `ferry verify` read:
///
/// ```
/// bundle.zip       the bundle
/// manifest.json    the manifest (the same bytes as inside the zip)
/// manifest.sig     the builder's signature over manifest.json
/// artifacts.json   where the bundle was built for and the artifacts to upload:
///                  {"bucket","prefix","artifacts":[{"key","sha256","size","file"}]}
///                  `file` is the artifact's bytes in the local cache
/// ```
public struct BuildFolder: Sendable {
    public static let bundle = "bundle.zip"
    public static let manifest = "manifest.json"
    public static let signature = "manifest.sig"
    public static let artifacts = "artifacts.json"

    public let path: String

    public init(_ path: String) {
        self.path = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }

    public func file(_ name: String) -> String { path + "/" + name }

    /// `artifacts.json`: the bucket the templates point into, and each artifact's local bytes.
    public struct Artifacts: Codable, Sendable, Equatable {
        public struct Entry: Codable, Sendable, Equatable {
            public var key: String
            public var sha256: String
            public var size: Int
            /// The artifact's bytes on this machine (in the artifact cache).
            public var file: String
        }
        public var bucket: String
        public var prefix: String
        public var artifacts: [Entry]
    }

    /// Writes `manifest.json`, `manifest.sig` and `artifacts.json` (the bundle is
    /// written in place by the build), each to a temporary name and renamed; flushed to
    /// disk first when `durable`.
    func write(_ built: BuiltBundle, artifacts: Artifacts, durable: Bool = true) throws(BuildError) {
        let list: Data
        do {
            list = try CanonicalJSON.encode(artifacts)
        } catch {
            throw BuildError(error, doing: "writing \(file(Self.artifacts))")
        }
        for (name, data) in [(Self.manifest, built.manifestBytes), (Self.signature, built.signature), (Self.artifacts, list)] {
            try Self.writeAtomically(data, to: file(name), durable: durable)
        }
    }

    /// The manifest, signature and artifact list, read back (sizes capped).
    func read() throws(BuildError) -> (manifestBytes: Data, signature: Data, artifacts: Artifacts) {
        let manifestBytes = try readFile(Self.manifest, cap: SizeCap.manifest)
        let signature = try readFile(Self.signature, cap: SizeCap.signature)
        let listBytes = try readFile(Self.artifacts, cap: SizeCap.manifest)
        do {
            let list = try CanonicalJSON.decode(Artifacts.self, from: listBytes, cap: SizeCap.manifest,
                                                what: "the artifact list")
            return (manifestBytes, signature, list)
        } catch {
            throw BuildError(.invalidInput, "\(file(Self.artifacts)) is not an artifact list ferry build wrote: "
                + "\(error.message); build again")
        }
    }

    func readFile(_ name: String, cap: Int) throws(BuildError) -> Data {
        let path = file(name)
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw BuildError(.invalidInput, "\(path) does not exist or cannot be read: give the folder ferry build "
                + "wrote (--out)")
        }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: cap + 1)) ?? Data()
        guard data.count <= cap else {
            throw BuildError(.verification, "\(path) is larger than the \(cap) bytes ferry reads for it: refused")
        }
        return data
    }

    static func writeAtomically(_ data: Data, to path: String, durable: Bool = true) throws(BuildError) {
        try writeAtomically(data, to: path, via: path + ".partial", code: .bundle,
                            unwritable: "cannot write \(path); check the folder's permissions", durable: durable)
    }

    /// Writes `data` to `temporary`, then renames it to `path`: a reader sees the whole
    /// file or none of it. `unwritable` is the message when `temporary` cannot be written.
    /// `durable`: flushed to disk before the rename (Foundation's `Data.write` does it);
    /// else written with plain `write` calls.
    static func writeAtomically(_ data: Data, to path: String, via temporary: String, code: BuildError.Code,
                                unwritable: String, durable: Bool = true) throws(BuildError) {
        do {
            if durable {
                try data.write(to: URL(fileURLWithPath: temporary))
            } else {
                try writeWithoutFlush(data, to: temporary)
            }
        } catch {
            throw BuildError(code, unwritable, cause: "\(error)")
        }
        guard rename(temporary, path) == 0 else {
            let cause = String(cString: strerror(errno))
            unlink(temporary)
            throw BuildError(code, "cannot write \(path)", cause: "rename: \(cause)")
        }
    }

    /// `data` into a new file at `path` (replacing one), not flushed to disk.
    private static func writeWithoutFlush(_ data: Data, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var done = 0
            while done < bytes.count {
                let count = Foundation.write(fd, bytes.baseAddress! + done, bytes.count - done)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
                }
                done += count
            }
        }
    }
}
