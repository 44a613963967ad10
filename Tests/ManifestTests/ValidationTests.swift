import Foundation
import Testing
@testable import Manifest

/// What `validate()` refuses; the writer runs it too, so Ferry never writes what it refuses.
@Suite struct ValidationTests {
    private static func changed(_ change: (inout Manifest) -> Void) -> Manifest {
        var manifest = Fixture.manifest
        change(&manifest)
        return manifest
    }

    static let badManifests: [(String, Manifest)] = [
        ("pipeline", changed { $0.pipeline = "web app" }),
        ("createdAt", changed { $0.createdAt = "2024-05-01 12:00:00" }),
        ("createdAt", changed { $0.createdAt = "2024-05-01T12:00:00+02:00" }),
        ("source.commit", changed { $0.source.commit = "0123abc" }),
        ("source.commit", changed { $0.source.commit = String(repeating: "A", count: 40) }),
        ("tests[0].durationMs", changed { $0.tests[0].durationMs = -1 }),
        ("files[0].path", changed { $0.files[0].path = "../etc/passwd" }),
        ("files[0].path", changed { $0.files[0].path = "/abs" }),
        ("files[0].path", changed { $0.files[0].path = "a//b" }),
        ("files[0].path", changed { $0.files[0].path = "a\\b" }),
        ("files[0].size", changed { $0.files[0].size = -3 }),
        ("files[0].sha256", changed { $0.files[0].sha256 = String(repeating: "A", count: 64) }),
        ("files[1].path", changed { $0.files.append($0.files[0]) }),
        ("artifacts[0].sha256", changed { $0.artifacts[0].sha256 = "abc" }),
        ("artifacts[0].key", changed { $0.artifacts[0].key = "" }),
        ("stacks[0].template", changed { $0.stacks[0].template = "templates/other.yaml" }),
        ("stacks[0].dependsOn", changed { $0.stacks[0].dependsOn = ["network"] }),
        ("stacks[1].name", changed { $0.stacks.append($0.stacks[0]) }),
        ("stacks[0].region", changed { $0.stacks[0].region = "eu west 1" }),
    ]

    @Test(arguments: badManifests)
    func badManifestIsRefusedOnWriteAndRead(field: String, manifest: Manifest) throws {
        let onWrite = refusal { () throws(ManifestError) in try manifest.canonicalBytes() }
        #expect(onWrite?.field == field)
        // The same document, written without the checks, is refused by the reader.
        let bytes = try CanonicalJSON.encode(manifest)
        #expect(refusal { () throws(ManifestError) in try Manifest.decode(bytes) }?.field == field)
    }

    @Test func dependsOnAnEarlierStackIsFine() throws {
        let manifest = Self.changed {
            $0.stacks.append(.init(name: "compute", template: "templates/storage.yaml", dependsOn: ["storage"],
                                   region: "eu-west-1"))
        }
        #expect(try Manifest.decode(manifest.canonicalBytes()) == manifest)
    }

    @Test func pointerChecks() {
        var pointer = Fixture.pointer(serial: 0)
        #expect(refusal { () throws(ManifestError) in try pointer.canonicalBytes() }?.field == "serial")
        pointer = Fixture.pointer()
        pointer.release?.bundleSha256 = "xyz"
        #expect(refusal { () throws(ManifestError) in try pointer.canonicalBytes() }?.field == "release.bundleSha256")
        pointer = Fixture.pointer(expiresAt: "tomorrow")
        #expect(refusal { () throws(ManifestError) in try pointer.canonicalBytes() }?.field == "expiresAt")
        pointer = Fixture.pointer()
        pointer.scope = .channel("..")
        #expect(refusal { () throws(ManifestError) in try pointer.canonicalBytes() }?.code == .invalidName)
    }

    @Test func writerRefusesAWrongSchema() {
        var pin = Fixture.pin()
        pin.schema = "ferry.pointer/v1"
        #expect(refusal { () throws(ManifestError) in try pin.canonicalBytes() }?.code == .unsupportedSchema)
    }
}
