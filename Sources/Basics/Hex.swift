import Crypto
import Foundation

// Ferry's one hex encoder and its SHA-256 helpers; every module uses these.

/// Lowercase hexadecimal, the form every digest and key id takes in Ferry documents.
public enum Hex {
    /// `0`–`9`, `a`–`f` as ASCII bytes.
    public static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// The lowercase hex form of `bytes`.
    public static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var out = [UInt8]()
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of a lowercase hex string; `nil` for odd length, uppercase or non-hex.
    public static func decode(_ hex: String) -> Data? {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out = Data(capacity: chars.count / 2)
        var index = 0
        while index < chars.count {
            guard let high = value(chars[index]), let low = value(chars[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    /// Whether `string` is a SHA-256 digest as Ferry writes it: 64 lowercase hex digits.
    public static func isSHA256(_ string: String) -> Bool {
        string.utf8.count == 64 && string.utf8.allSatisfy { value($0) != nil }
    }

    private static func value(_ char: UInt8) -> UInt8? {
        switch char {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): char - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): char - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}

/// The SHA-256 of `data` in lowercase hex (swift-crypto `SHA256`).
public func sha256Hex<D: DataProtocol>(_ data: D) -> String {
    Hex.encode(SHA256.hash(data: data))
}

/// SHA-256 over data that arrives in pieces (a download, a file read in chunks).
public struct SHA256Hasher: Sendable {
    private var hasher = SHA256()
    /// The number of bytes hashed so far.
    public private(set) var count: Int = 0

    public init() {}

    /// Hashes the next piece.
    public mutating func update<D: DataProtocol>(_ data: D) {
        hasher.update(data: data)
        count += data.count
    }

    /// Hashes the next piece, straight from memory someone else owns.
    public mutating func update(bytes: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: bytes)
        count += bytes.count
    }

    /// The digest of everything hashed, in lowercase hex.
    public func finalizeHex() -> String {
        Hex.encode(hasher.finalize())
    }
}
