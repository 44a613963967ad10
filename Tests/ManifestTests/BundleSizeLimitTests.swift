import Foundation
import Testing
@testable import Manifest

/// `bundleSizeLimit` never traps: a signed manifest's sizes may add up past `Int64.max`.
@Suite struct BundleSizeLimitTests {
    @Test func sizesPastIntMaxGiveNoTrapAndNoUnpackedSize() {
        var manifest = Fixture.manifest
        manifest.files = [Manifest.File(path: "a", size: Int.max, sha256: Fixture.a64),
                          Manifest.File(path: "b", size: Int.max, sha256: Fixture.b64)]
        #expect(manifest.unpackedSize(manifestBytes: 100) == nil)
        #expect(manifest.bundleSizeLimit(manifestBytes: 100) == Int64.max)
        manifest.files = [Manifest.File(path: "a", size: Int.max - 10, sha256: Fixture.a64)]
        #expect(manifest.unpackedSize(manifestBytes: 100) == nil)
        #expect(manifest.bundleSizeLimit(manifestBytes: 100) == Int64.max)
        manifest.files = [Manifest.File(path: "a", size: -1, sha256: Fixture.a64)]
        #expect(manifest.unpackedSize(manifestBytes: 100) == nil)
    }

    @Test func anOrdinaryManifestKeepsItsLimit() {
        var manifest = Fixture.manifest
        manifest.files = [Manifest.File(path: "a", size: 1_000_000, sha256: Fixture.a64)]
        #expect(manifest.unpackedSize(manifestBytes: 100) == 1_000_100)
        // content + content/1000 + 2 entries * 256 + names (13 + 1) * 2 + 65,536
        #expect(manifest.bundleSizeLimit(manifestBytes: 100) == 1_000_100 + 1_000 + 512 + 28 + 65_536)
    }
}
