import Basics
import Foundation
@testable import Manifest

/// Shared values for the Manifest tests.
enum Fixture {
    /// RFC 8032 §7.1 test 1 secret key; its public key is
    /// d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a.
    static let seedHex = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
    static let key = try! SigningKey(seed: Hex.decode(seedHex)!)
    /// Another fixed key, for "someone else signed it".
    static let otherKey = try! SigningKey(seed: Data(repeating: 7, count: 32))

    static let a64 = String(repeating: "a", count: 64)
    static let b64 = String(repeating: "b", count: 64)
    static let c64 = String(repeating: "c", count: 64)
    static let d64 = String(repeating: "d", count: 64)

    static let manifest = Manifest(
        pipeline: "webapp", version: try! SemVer("1.4.2"), createdAt: "2024-05-01T12:00:00Z",
        source: .init(repository: "datalake", commit: "0123456789abcdef0123456789abcdef01234567", tag: "v1.4.2",
                      author: "Ada <ada@example.com>", subject: "Ingest café data"),
        tests: [.init(name: "unit", command: "make test", exitStatus: 0, durationMs: 1234)],
        stacks: [.init(name: "storage", template: "templates/storage.yaml", parameters: ["Stage": "prod"],
                       capabilities: ["CAPABILITY_IAM"], tags: ["team": "data"])],
        files: [.init(path: "templates/storage.yaml", size: 42, sha256: a64)],
        artifacts: [.init(key: "ferry/artifacts/sha256/" + b64, size: 7, sha256: b64)])

    static func pointer(serial: Int = 42, expiresAt: String? = nil, issuedBy: KeyID = key.id) -> Pointer {
        Pointer(pipeline: "webapp", scope: .channel("stable"), serial: serial,
                release: PointedRelease(version: try! SemVer("1.4.1"), manifestSha256: c64, bundleSha256: d64),
                issuedAt: "2024-05-02T08:30:00Z", expiresAt: expiresAt, reason: "rollback: 1.4.2 broke ingestion",
                issuedBy: issuedBy)
    }

    static func pin(issuedBy: KeyID = key.id, expiresAt: String? = nil, ended: Bool = false) -> Pointer {
        Pointer(pipeline: "webapp", scope: .silo("silo-eu-1"), serial: 3,
                release: ended ? nil : PointedRelease(version: try! SemVer("1.4.0"), manifestSha256: c64, bundleSha256: d64),
                issuedAt: "2024-05-02T09:00:00Z", expiresAt: expiresAt, reason: "hold eu-1 during the audit",
                issuedBy: issuedBy)
    }

    static func trust(_ roles: Set<Role>, key: SigningKey = key) -> TrustStore {
        TrustStore([(key.publicKey, roles)])
    }

    static func data(_ text: String) -> Data { Data(text.utf8) }
}

/// The error `body` throws, or nil when it throws nothing.
func refusal<T>(_ body: () throws(ManifestError) -> T) -> ManifestError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}
