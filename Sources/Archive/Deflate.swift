// The one file of the Archive module that calls libdeflate. The compressor is owned by
// one final class and freed in its `deinit`; the rest of the module sees Swift values.
internal import CDeflate
import Foundation

/// The deflate level of a zip's deflated entries.
public enum DeflateLevel: Sendable, Hashable {
    /// libdeflate's level 6: zlib's default, the smallest output for the time.
    case standard
    /// libdeflate's level 1: several times faster on text than `.standard`, output about a
    /// tenth larger. For large zips made often (code artifacts).
    case fastest

    var libdeflateLevel: Int32 {
        switch self {
        case .standard: 6
        case .fastest: 1
        }
    }
}

/// Compresses whole buffers to raw DEFLATE. Not thread-safe: one per thread.
///
/// The same bytes, level and libdeflate version give the same output on every machine.
/// The corresponding C functions are `libdeflate_alloc_compressor`,
/// `libdeflate_deflate_compress` and `libdeflate_free_compressor`.
final class Deflater {
    private let compressor: OpaquePointer
    let level: DeflateLevel

    init(level: DeflateLevel) throws(ArchiveError) {
        guard let compressor = libdeflate_alloc_compressor(level.libdeflateLevel) else {
            throw ArchiveError(.library, "libdeflate could not allocate a compressor (out of memory?)",
                               function: "libdeflate_alloc_compressor")
        }
        self.compressor = compressor
        self.level = level
    }

    deinit { libdeflate_free_compressor(compressor) }

    /// The raw DEFLATE stream of `bytes`, or nil when it would not be smaller than
    /// `bytes` (store those as they are: already compressed, random, or tiny).
    func compressIfSmaller(_ bytes: UnsafeRawBufferPointer) -> Data? {
        guard bytes.count > 1, let input = bytes.baseAddress else { return nil }
        let capacity = bytes.count - 1
        guard let output = malloc(capacity) else { return nil }
        let written = libdeflate_deflate_compress(compressor, input, bytes.count, output, capacity)
        guard written > 0 else {
            free(output)
            return nil
        }
        let shrunk = realloc(output, written) ?? output
        return Data(bytesNoCopy: shrunk, count: written, deallocator: .free)
    }

    /// The CRC-32 (zip's, ISO 3309) of `bytes`. The corresponding C function is `libdeflate_crc32`.
    static func crc32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress else { return 0 }
        return libdeflate_crc32(0, base, bytes.count)
    }
}
