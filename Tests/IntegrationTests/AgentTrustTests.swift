import AWS
import Agent
import Bucket
import Foundation
@testable import Manifest
import TestSupport
import Testing

/// Signed but absurd documents: a clear refusal, never a trap, never read again.
@Suite struct AgentTrustTests {
    @Test func aSignedManifestWhoseSizesPassIntMaxIsRefusedOnceAndNotReadAgain() throws {
        let silo = try SiloHarness()
        var built = try ReleaseFixture.build(pipeline: "webapp", version: "1.0.0",
                                             stacks: [.init(name: "app", template: queueTemplate("x"))],
                                             in: silo.directory.path)
        // JSON integers stop at 2^53 - 1: 1,100 files of that size add up past Int64.max.
        let huge = 9_007_199_254_740_991
        built.manifest.files += (0..<1_100).map {
            Manifest.File(path: String(format: "huge/f%04d", $0), size: huge, sha256: String(repeating: "a", count: 64))
        }
        // Signed as it is, canonical: ferry's own signManifest refuses such a manifest, a hostile builder does not.
        guard case .object(var members) = try CanonicalJSON.tree(of: built.manifest) else {
            Issue.record("the manifest is not an object"); return
        }
        members["schema"] = .string(Manifest.currentSchema)
        built.manifestBytes = JSONValue.object(members).canonicalBytes
        let key = ReleaseFixture.builderKey
        built.signature = JSONValue.object(["signatures": .array([.object([
            "keyid": .string(key.id.hex), "sig": .string(key.signature(for: built.manifestBytes).base64EncodedString()),
        ])])]).canonicalBytes
        let release = try ReleaseFixture.upload(built, to: silo.releases)
        _ = try ReleaseFixture.move(silo.releases, pipeline: "webapp", channel: "canary", to: release, reason: "test")
        let agent = try silo.agent()
        let outcome = try #require(agent.once().first)
        #expect(outcome.kind == .refused)
        #expect(outcome.error?.message.contains("add up past") == true, "\(String(describing: outcome.error))")
        #expect(try silo.report()?.state == .refused)
        silo.http.resetRequestCounts()
        #expect(agent.tick().map(\.kind) == [.idle])
        #expect(silo.http.requestCounts.total == 2, "the refused manifest was read again")
    }
}
