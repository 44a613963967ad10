import Foundation
@testable import Builder
import TestSupport

/// A test double for the packager's own `ArtifactSink` protocol (not for AWS): keeps
/// what it is given in memory, under content-addressed keys as the builder's real
/// sink will (`PREFIX/artifacts/sha256/<hex>`).
///
/// It does not write zips — the Archive module does that for the builder. A folder is
/// stored as a stand-in encoding of its sorted file names and contents, which depends
/// on nothing else (not file times, not listing order), the same contract the real
/// zip writer has; the test records which files went in so tests can compare them
/// with what `aws cloudformation package` zipped.
final class InMemoryArtifactSink: ArtifactSink {
    /// How an object came to be stored.
    enum Stored: Equatable {
        case folder(names: [String])
        case zippedFile(name: String)
        case file(path: String)
        case bytes(suggestedName: String)
    }

    let bucket: String
    let prefix: String
    let objectURLBase: String
    private(set) var objects: [String: Data] = [:]
    private(set) var how: [String: Stored] = [:]
    /// Every call, in order, as (kind, key).
    private(set) var calls: [(Stored, String)] = []

    init(bucket: String = "ferry-test-bucket", prefix: String = "ferry/", objectURLBase: String = "https://s3.eu-west-1.amazonaws.com") {
        self.bucket = bucket
        self.prefix = prefix
        self.objectURLBase = objectURLBase
    }

    func storeFolder(at path: String) throws -> ArtifactLocation {
        let names = try Self.files(under: path)
        var encoded = Data("folder\n".utf8)
        for name in names {
            let contents = try Data(contentsOf: URL(fileURLWithPath: path + "/" + name))
            encoded.append(Data("\(name)\n\(contents.count)\n".utf8))
            encoded.append(contents)
        }
        return put(encoded, .folder(names: names))
    }

    func storeZippedFile(at path: String) throws -> ArtifactLocation {
        let name = URL(fileURLWithPath: path).lastPathComponent
        let contents = try Data(contentsOf: URL(fileURLWithPath: path))
        var encoded = Data("zipped-file\n\(name)\n".utf8)
        encoded.append(contents)
        return put(encoded, .zippedFile(name: name))
    }

    func storeFile(at path: String) throws -> ArtifactLocation {
        put(try Data(contentsOf: URL(fileURLWithPath: path)), .file(path: path))
    }

    func storeBytes(_ data: Data, suggestedName: String) throws -> ArtifactLocation {
        put(data, .bytes(suggestedName: suggestedName))
    }

    /// The stored bytes behind an S3 URI, `{Bucket, Key}`-style key, or object URL.
    func object(forKey key: String) -> Data? { objects[key] }

    private func put(_ data: Data, _ stored: Stored) -> ArtifactLocation {
        let hex = TestDigest.sha256(data)
        let key = prefix + "artifacts/sha256/" + hex
        objects[key] = data
        how[key] = stored
        calls.append((stored, key))
        return ArtifactLocation(bucket: bucket, key: key, sha256: hex, size: data.count)
    }

    /// Regular files under `path`, relative, sorted (as the zip's entries would be).
    static func files(under path: String) throws -> [String] {
        let root = URL(fileURLWithPath: path).resolvingSymlinksInPath()
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else {
            throw CocoaError(.fileReadNoSuchFile)
        }
        var names: [String] = []
        for case let url as URL in walker where (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true {
            let full = url.resolvingSymlinksInPath().path
            names.append(String(full.dropFirst(root.path.count + 1)))
        }
        return names.sorted()
    }
}

/// A sink whose every store fails, for the error path.
struct FailingArtifactSink: ArtifactSink {
    struct Refused: Error, CustomStringConvertible { var description: String { "the store is read-only" } }
    var objectURLBase: String { "https://s3.eu-west-1.amazonaws.com" }
    func storeFolder(at path: String) throws -> ArtifactLocation { throw Refused() }
    func storeZippedFile(at path: String) throws -> ArtifactLocation { throw Refused() }
    func storeFile(at path: String) throws -> ArtifactLocation { throw Refused() }
    func storeBytes(_ data: Data, suggestedName: String) throws -> ArtifactLocation { throw Refused() }
}

/// Where the fixtures are (Tests/BuilderTests/Fixtures). IntegrationTests links this
/// file too (a symlink), so the path does not depend on where the file is compiled from.
enum Fixtures {
    static let root: String = TestEnvironment.packageRoot + "/Tests/BuilderTests/Fixtures"

    static func path(_ relative: String) -> String { root + "/" + relative }

    /// Copies a fixture folder into `destination` (which must not exist yet), files in
    /// the given order, so tests can vary creation order and file times.
    static func copy(_ relative: String, to destination: String, reversed: Bool = false) throws {
        var names = try InMemoryArtifactSink.files(under: path(relative))
        if reversed { names.reverse() }
        for name in names {
            let target = destination + "/" + name
            try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: path(relative) + "/" + name, toPath: target)
        }
    }
}
