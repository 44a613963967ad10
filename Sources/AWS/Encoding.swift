import Basics
import Crypto
import Foundation

/// Percent-encoding and hashing as SigV4 defines them.
public enum AWSEncoding {
    /// SigV4's `UriEncode`: every byte but `A-Z a-z 0-9 - _ . ~` becomes `%XX` (uppercase
    /// hex of its UTF-8 bytes); `/` stays when `keepSlash` (paths), is encoded otherwise
    /// (query names and values). A space is `%20`, never `+`.
    public static func uriEncode(_ text: String, keepSlash: Bool = false) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                 UInt8(ascii: "."), UInt8(ascii: "~"):
                out.append(byte)
            case UInt8(ascii: "/") where keepSlash:
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `name=value&...` with every name and value `uriEncode`d, sorted by name then value:
    /// SigV4's canonical query string, and what Ferry sends, so both always agree.
    public static func canonicalQuery(_ items: [(name: String, value: String)]) -> String {
        let encoded: [(String, String)] = items.map { (uriEncode($0.name), uriEncode($0.value)) }
        let sorted = encoded.sorted { (a: (String, String), b: (String, String)) -> Bool in
            a.0 == b.0 ? a.1 < b.1 : a.0 < b.0
        }
        return sorted.map { (pair: (String, String)) -> String in pair.0 + "=" + pair.1 }.joined(separator: "&")
    }

    /// An `application/x-www-form-urlencoded` body for the Query APIs (CloudFormation,
    /// STS): the same encoding, in the given order.
    public static func formBody(_ items: [(name: String, value: String)]) -> String {
        items.map { "\(uriEncode($0.name))=\(uriEncode($0.value))" }.joined(separator: "&")
    }

    /// Lowercase hex SHA-256.
    public static func sha256Hex(_ data: some DataProtocol) -> String {
        Hex.encode(SHA256.hash(data: data))
    }

    /// SHA-256 of the empty string.
    public static let emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// Streams a file (or `length` bytes from `offset`) through SHA-256.
    public static func sha256Hex(file path: String, offset: Int64 = 0, length: Int64? = nil) throws(AWSError) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw AWSError(code: .fileIO, message: "cannot open \(path) to upload it: check that it exists and is readable")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        do {
            try handle.seek(toOffset: UInt64(offset))
            var remaining = length ?? Int64.max
            while remaining > 0 {
                let chunk = try handle.read(upToCount: Int(min(remaining, 1 << 20))) ?? Data()
                if chunk.isEmpty { break }
                hasher.update(data: chunk)
                remaining -= Int64(chunk.count)
            }
            if length != nil, remaining > 0 {
                throw AWSError(code: .fileIO, message: "\(path) is shorter than the \(length!) bytes to upload from offset \(offset)")
            }
        } catch let error as AWSError {
            throw error
        } catch {
            throw AWSError(code: .fileIO, message: "cannot read \(path): \(error)")
        }
        return Hex.encode(hasher.finalize())
    }
}
