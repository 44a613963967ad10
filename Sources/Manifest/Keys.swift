import Basics
import Crypto
import Foundation

/// A key's id: the SHA-256 of its raw 32-byte Ed25519 public key, in lowercase hex.
/// Encoded as a JSON string.
public struct KeyID: Hashable, Sendable, Codable, CustomStringConvertible {
    /// 64 lowercase hex digits.
    public let hex: String

    /// Checks the form: 64 lowercase hex digits.
    public init(hex: String) throws(ManifestError) {
        guard Hex.isSHA256(hex) else {
            throw ManifestError(.invalidValue, "\"\(hex)\" is not a key id: 64 lowercase hex digits")
        }
        self.hex = hex
    }

    init(publicKey raw: Data) { hex = sha256Hex(raw) }

    public var description: String { hex }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        do {
            try self.init(hex: try container.decode(String.self))
        } catch let error as ManifestError {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.message)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}

/// What a key may sign (as in The Update Framework): a stolen builder key alone cannot
/// move production.
public enum Role: String, Sendable, Codable, CaseIterable, Comparable {
    /// Signs manifests (`ferry build` / `publish`).
    case builder
    /// Signs channel pointers (`ferry release`, `promote`).
    case release
    /// Signs channel pointers and pins (`ferry rollback`, `pin`).
    case oncall

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// An Ed25519 public key (swift-crypto `Curve25519.Signing.PublicKey`).
///
/// Key file: one line, `ferry-ed25519-public <base64 of the 32 raw key bytes> [name]`.
/// The optional name (as `ferry keys generate --name` writes it, like an ssh key's
/// comment) labels the key id in `ferry status` and `history`; it is not signed and plays
/// no part in trust: the id is what agents check.
public struct PublicKey: Sendable, Equatable {
    let key: Curve25519.Signing.PublicKey
    /// The 32 raw key bytes.
    public var raw: Data { key.rawRepresentation }
    /// `sha256(raw)` in lowercase hex.
    public let id: KeyID
    /// The name in the key file, if any: a label for people, never checked.
    public let name: String?

    /// A key from its 32 raw bytes.
    public init(raw: Data, name: String? = nil) throws(ManifestError) {
        guard raw.count == 32, let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else {
            throw ManifestError(.badKeyFile, "an Ed25519 public key is 32 bytes, not \(raw.count)")
        }
        self.key = key
        self.id = KeyID(publicKey: raw)
        self.name = name
    }

    /// Reads a public key file's text (see `fileContents`).
    public init(fileContents text: String) throws(ManifestError) {
        let (raw, name) = try KeyFile.readPublic(text)
        try self.init(raw: raw, name: name)
    }

    /// The same key, labelled `name`.
    public func named(_ name: String?) -> PublicKey { try! PublicKey(raw: raw, name: name) }

    /// The public key file's text, ending with a newline.
    public var fileContents: String {
        KeyFile.publicTag + " " + raw.base64EncodedString() + (name.map { " " + $0 } ?? "") + "\n"
    }

    /// Whether `signature` is this key's Ed25519 signature of `data`.
    public func isValidSignature(_ signature: Data, for data: Data) -> Bool {
        key.isValidSignature(signature, for: data)
    }

    public static func == (lhs: PublicKey, rhs: PublicKey) -> Bool { lhs.id == rhs.id }
}

/// An Ed25519 private key (swift-crypto `Curve25519.Signing.PrivateKey`). Printing it
/// shows only its key id.
///
/// Key file: one line, `ferry-ed25519-private <base64 of the 32-byte seed>`; keep it
/// mode 0600. Signatures are deterministic (RFC 8032): the same key and bytes always
/// give the same signature.
public struct SigningKey: Sendable, CustomStringConvertible {
    private let key: Curve25519.Signing.PrivateKey
    public let publicKey: PublicKey

    /// A key from its 32-byte seed (RFC 8032's private key).
    public init(seed: Data) throws(ManifestError) {
        guard seed.count == 32, let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else {
            throw ManifestError(.badKeyFile, "an Ed25519 private key seed is 32 bytes, not \(seed.count)")
        }
        self.init(key)
    }

    private init(_ key: Curve25519.Signing.PrivateKey) {
        self.key = key
        // A public key swift-crypto derived is always 32 valid bytes.
        self.publicKey = try! PublicKey(raw: key.publicKey.rawRepresentation)
    }

    /// A new random key (the system's secure random source).
    public static func generate() -> SigningKey { SigningKey(Curve25519.Signing.PrivateKey()) }

    /// Reads a private key file's text (see `fileContents`). Errors never quote the file.
    public init(fileContents text: String) throws(ManifestError) {
        try self.init(seed: KeyFile.read(text, expected: KeyFile.privateTag))
    }

    /// The private key file's text, ending with a newline. Secret: write it mode 0600.
    public var fileContents: String { KeyFile.privateTag + " " + key.rawRepresentation.base64EncodedString() + "\n" }

    /// The public key's id.
    public var id: KeyID { publicKey.id }

    /// The Ed25519 signature (64 bytes) of `data`.
    public func signature(for data: Data) -> Data {
        // BoringSSL's ED25519_sign cannot fail for a valid key.
        try! key.signature(for: data)
    }

    public var description: String { "SigningKey(\(id))" }
}

/// The text form of key files.
enum KeyFile {
    static let publicTag = "ferry-ed25519-public"
    static let privateTag = "ferry-ed25519-private"

    /// The 32 bytes of a one-line key file whose tag is `expected`. Messages name what
    /// was found, never the key material.
    /// A public key file: its 32 bytes and its optional name (a third field).
    static func readPublic(_ text: String) throws(ManifestError) -> (Data, String?) {
        let line = text.hasSuffix("\n") || text.hasSuffix("\r\n") ? text.dropLast() : Substring(text)
        let parts = line.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return (try read(text, expected: publicTag), nil) }
        let name = String(parts[2])
        do {
            try Name.validate(name, as: "key")
        } catch {
            throw ManifestError(.badKeyFile, "the public key file's third field, its name: \(error.message)")
        }
        return (try read(parts[0...1].joined(separator: " "), expected: publicTag), name)
    }

    static func read(_ text: String, expected: String) throws(ManifestError) -> Data {
        // "\r\n" is one Character in Swift: one dropLast() removes either line ending.
        let line = text.hasSuffix("\n") || text.hasSuffix("\r\n") ? text.dropLast() : Substring(text)
        let parts = line.split(separator: " ", omittingEmptySubsequences: false)
        let kind = expected == publicTag ? "public" : "private"
        guard parts.count == 2, !line.unicodeScalars.contains(where: { $0 == "\n" || $0 == "\r" }) else {
            throw ManifestError(.badKeyFile, "this is not a Ferry \(kind) key file: expected one line "
                + "\"\(expected) <base64>\" (make one with ferry keys generate)")
        }
        guard parts[0] == expected else {
            let other = parts[0] == publicTag ? "a public key file" : parts[0] == privateTag ? "a private key file" : nil
            throw ManifestError(.badKeyFile, "this is \(other ?? "not a Ferry key file"); a \(kind) key file "
                + "starting \"\(expected)\" is needed here")
        }
        guard let bytes = Data(base64Encoded: String(parts[1])), bytes.count == 32 else {
            throw ManifestError(.badKeyFile, "the \(kind) key file is damaged: its key is not 32 bytes of base64")
        }
        return bytes
    }
}
