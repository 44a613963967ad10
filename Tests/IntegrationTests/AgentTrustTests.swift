import AWS
import Agent
import Bucket
import Foundation
import Manifest
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
        (built.manifestBytes, built.signature) = try signManifest(built.manifest, with: ReleaseFixture.builderKey)
        let release = try ReleaseFixture.upload(built, to: silo.releases)
        _ = try silo.releases.moveChannel(pipeline: "webapp", channel: "canary", to: release, reason: "test",
                                          key: ReleaseFixture.releaseKey, now: Date())
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
