import Archive
import Foundation
import Git

/// Deterministic zips of code folders and single files, the artifacts templates point
/// to, written from the commit's blobs (no checkout).
///
/// The same files give the same bytes, whatever the commit, the machine, the umask or
/// the time zone: every entry gets the fixed time `FolderZip.mtime`
/// (1980-01-01T00:00:00Z, the earliest a zip can say), so an unchanged folder gives the
/// same artifact — and the same key — in every release. Entries are the folder's files
/// in byte order of their names (no folder entries), mode 0644 or 0755 as git records
/// them. Content that does not compress (already-compressed or random bytes) is stored;
/// the rest is deflated at zlib's fastest level (a few times faster than the default
/// level, for zips about a tenth larger) — a choice made from the content alone.
enum FolderZip {
    /// 1980-01-01T00:00:00Z: the fixed time of every entry of an artifact zip.
    static let mtime = Date(timeIntervalSince1970: 315_532_800)

    /// One file of a zip: its name in the zip, mode, and git blob id.
    struct Item: Sendable, Equatable {
        var name: String
        var executable: Bool
        var blob: String
    }

    /// Writes the zip of `items` (read from `repository`) to `path`.
    static func zip(_ items: [Item], from repository: Repository, to path: String) throws(BuildError) {
        do {
            let writer = try ZipWriter(path: path, mtime: mtime, deflate: .fastest)
            for item in items.sorted(by: { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }) {
                let data: Data
                do {
                    data = try repository.blob(item.blob)
                } catch {
                    throw BuildError(error, doing: "reading \(item.name)")
                }
                try writer.add(name: item.name, data: data, executable: item.executable, compression: compression(of: data))
            }
            try writer.close()
        } catch let error as BuildError {
            throw error
        } catch let error as ArchiveError {
            throw BuildError(error, doing: "writing the zip \(path)")
        } catch {
            throw BuildError(.packaging, "writing the zip \(path)", cause: "\(error)")
        }
    }

    /// Files smaller than this are always deflated (too small to judge, cheap either way).
    static let sampleBytes = 16_384

    /// `.store` for content that deflate would not shrink, judged from the first
    /// `sampleBytes`: a byte entropy above 7.5 bits per byte (compressed, encrypted or
    /// random data). Everything else `.deflate` (at the writer's fastest level).
    static func compression(of data: Data) -> ZipCompression {
        guard data.count >= sampleBytes else { return .deflate }
        let sample = data.prefix(sampleBytes).withUnsafeBytes { entropy($0) }
        return sample > 7.5 ? .store : .deflate
    }

    /// Shannon entropy of `bytes`, in bits per byte (0...8).
    static func entropy(_ bytes: UnsafeRawBufferPointer) -> Double {
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
