import Archive
import Foundation
import Manifest

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Deterministic zips of code folders and single files, the artifacts templates point to.
///
/// The same files give the same bytes whatever the folder's place, listing order, file
/// times, umask or time zone, and whatever the commit: every entry gets the fixed time
/// `FolderZip.mtime` (1980-01-01T00:00:00Z, the earliest a zip can say), so an unchanged
/// folder gives the same artifact, and the same key, in every release. Entries are the
/// folder's regular files (links followed) in byte order of their names, mode 0644 or
/// 0755 (executable kept). Content that does not compress (already-compressed or random
/// bytes) is stored; the rest is deflated — a choice made from the content alone.
enum FolderZip {
    /// 1980-01-01T00:00:00Z: the fixed time of every entry of an artifact zip.
    static let mtime = Date(timeIntervalSince1970: 315_532_800)

    /// The regular files under `folder` (links followed, `/`-separated relative names)
    /// as zip entries.
    static func entries(of folder: String) throws(BuildError) -> [ZipEntry] {
        var entries: [ZipEntry] = []
        try walk(folder, relative: "", into: &entries, depth: 0)
        return entries
    }

    /// Zips the folder at `folder` into `path`.
    static func zip(folder: String, to path: String) throws(BuildError) {
        let entries = try entries(of: folder)
        do {
            try writeZip(entries: entries, to: path, mtime: mtime)
        } catch {
            throw BuildError(error, doing: "zipping \(folder)")
        }
    }

    /// Zips one file into `path` as the zip's only entry, named by the file's own name.
    static func zip(file: String, to path: String) throws(BuildError) {
        let name = PackagerPaths.name(file)
        var status = stat()
        guard stat(file, &status) == 0 else {
            throw BuildError(.packaging, "cannot read \(file)", cause: "stat: " + String(cString: strerror(errno)))
        }
        let entry = ZipEntry(name: name, source: .file(file), executable: status.st_mode & 0o111 != 0,
                             compression: compression(of: file))
        do {
            try writeZip(entries: [entry], to: path, mtime: mtime)
        } catch {
            throw BuildError(error, doing: "zipping \(file)")
        }
    }

    /// Links deeper than this are taken for a loop.
    private static let maxDepth = 64

    private static func walk(_ folder: String, relative: String, into entries: inout [ZipEntry], depth: Int) throws(BuildError) {
        guard depth < maxDepth else {
            throw BuildError(.packaging, "\(folder) is nested more than \(maxDepth) folders deep (a symbolic link loop?)")
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw BuildError(.packaging, "cannot list \(folder) to zip it", cause: "\(error)")
        }
        for name in names {
            let path = folder + "/" + name
            let entryName = relative.isEmpty ? name : relative + "/" + name
            var status = stat()
            guard stat(path, &status) == 0 else {
                throw BuildError(.packaging, "cannot read \(path) to zip it (a broken link?)",
                                 cause: "stat: " + String(cString: strerror(errno)))
            }
            switch status.st_mode & S_IFMT {
            case S_IFDIR:
                try walk(path, relative: entryName, into: &entries, depth: depth + 1)
            case S_IFREG:
                entries.append(ZipEntry(name: entryName, source: .file(path), executable: status.st_mode & 0o111 != 0,
                                        compression: compression(of: path, size: Int64(status.st_size))))
            default:
                continue  // sockets, devices, fifos: not code
            }
        }
    }

    /// Files smaller than this are always deflated (too small to judge, cheap either way).
    static let sampleBytes = 16_384

    /// `.store` for content that deflate would not shrink, judged from the first
    /// `sampleBytes`: a byte entropy above 7.5 bits per byte (compressed, encrypted or
    /// random data). Everything else `.deflate`.
    static func compression(of path: String, size: Int64? = nil) -> ZipCompression {
        if let size, size < Int64(sampleBytes) { return .deflate }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .deflate }
        defer { close(fd) }
        var sample = [UInt8](repeating: 0, count: sampleBytes)
        let count = sample.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count >= sampleBytes else { return .deflate }
        return entropy(sample) > 7.5 ? .store : .deflate
    }

    /// Shannon entropy of `bytes`, in bits per byte (0...8).
    static func entropy(_ bytes: [UInt8]) -> Double {
        var counts = [Int](repeating: 0, count: 256)
        for byte in bytes { counts[Int(byte)] += 1 }
        let total = Double(bytes.count)
        return counts.reduce(0.0) { sum, count in
            guard count > 0 else { return sum }
            let p = Double(count) / total
            return sum - p * log2(p)
        }
    }
}
