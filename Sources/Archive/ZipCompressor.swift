import Foundation

/// An entry compressed and checksummed, ready for `ZipWriter.add(_:)`: what can run on
/// other threads before the writer, which must take entries in order, writes it.
public struct CompressedEntry: Sendable {
    public let name: String
    public let executable: Bool
    /// The uncompressed size.
    public let size: Int64
    /// Whether `payload` is raw DEFLATE (else the bytes as they are).
    public let deflated: Bool
    let crc32: UInt32
    let payload: Data

    static func tooLarge(_ name: String, size: Int64) -> ArchiveError {
        ArchiveError(.tooLarge, "\(name) is \(size) bytes; Ferry's zips hold files under 4 GiB (no zip64 sizes): keep large "
                         + "data out of artifacts (e.g. in S3)", entry: name)
    }
}

/// Compresses entries for a `ZipWriter` (libdeflate at one level). Not thread-safe: one
/// per thread.
public final class ZipCompressor {
    private let deflater: Deflater

    public init(level: DeflateLevel) throws(ArchiveError) {
        deflater = try Deflater(level: level)
    }

    /// `bytes` as an entry: deflated when `compression` is `.deflate` and that makes it
    /// smaller, else stored (a copy). The bytes are only read during the call.
    public func compress(name: String, bytes: UnsafeRawBufferPointer, executable: Bool,
                         compression: ZipCompression) throws(ArchiveError) -> CompressedEntry {
        guard Int64(bytes.count) <= ZipRecords.max32 else { throw CompressedEntry.tooLarge(name, size: Int64(bytes.count)) }
        let deflated = compression == .deflate ? deflater.compressIfSmaller(bytes) : nil
        return CompressedEntry(name: name, executable: executable, size: Int64(bytes.count), deflated: deflated != nil,
                               crc32: Deflater.crc32(bytes), payload: deflated ?? Data(bytes))
    }

    /// `data` as an entry (see `compress(name:bytes:executable:compression:)`); a stored
    /// entry shares `data`'s storage.
    public func compress(name: String, data: Data, executable: Bool,
                         compression: ZipCompression) throws(ArchiveError) -> CompressedEntry {
        guard Int64(data.count) <= ZipRecords.max32 else { throw CompressedEntry.tooLarge(name, size: Int64(data.count)) }
        let (deflated, crc) = data.withUnsafeBytes { bytes in
            (compression == .deflate ? deflater.compressIfSmaller(bytes) : nil, Deflater.crc32(bytes))
        }
        return CompressedEntry(name: name, executable: executable, size: Int64(data.count), deflated: deflated != nil,
                               crc32: crc, payload: deflated ?? data)
    }
}
