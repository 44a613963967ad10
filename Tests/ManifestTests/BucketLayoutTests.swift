import Testing
@testable import Manifest

@Suite struct BucketLayoutTests {
    @Test func everyKeyUnderTheDefaultPrefix() throws {
        let layout = BucketLayout()
        let version = try SemVer("1.4.2")
        #expect(try layout.artifact(sha256: Fixture.a64) == "ferry/artifacts/sha256/" + Fixture.a64)
        #expect(try layout.bundle(pipeline: "webapp", version: version) == "ferry/releases/webapp/1.4.2/bundle.zip")
        #expect(try layout.manifest(pipeline: "webapp", version: version) == "ferry/releases/webapp/1.4.2/manifest.json")
        #expect(try layout.signature(pipeline: "webapp", version: version) == "ferry/releases/webapp/1.4.2/manifest.sig")
        #expect(try layout.channel(pipeline: "webapp", channel: "stable") == "ferry/channels/webapp/stable.json")
        #expect(try layout.pin(pipeline: "webapp", silo: "silo-eu-1") == "ferry/pins/webapp/silo-eu-1.json")
        #expect(try layout.status(pipeline: "webapp", silo: "silo-eu-1") == "ferry/status/webapp/silo-eu-1.json")
        #expect(try layout.releasesPrefix(pipeline: "webapp") == "ferry/releases/webapp/")
        #expect(try layout.pinsPrefix(pipeline: "webapp") == "ferry/pins/webapp/")
        #expect(try layout.statusPrefix(pipeline: "webapp") == "ferry/status/webapp/")
        #expect(try layout.codepipeline(pipeline: "webapp") == "ferry/codepipeline/webapp.zip")
    }

    @Test func buildMetadataAndPrereleaseStayInTheKey() throws {
        let layout = BucketLayout()
        #expect(try layout.bundle(pipeline: "webapp", version: SemVer("1.2.0+build.7"))
            == "ferry/releases/webapp/1.2.0+build.7/bundle.zip")
        #expect(try layout.manifest(pipeline: "data.lake_v2", version: SemVer("2.0.0-rc.1"))
            == "ferry/releases/data.lake_v2/2.0.0-rc.1/manifest.json")
    }

    @Test(arguments: [("ferry/", "ferry/"), ("team-a/ferry", "team-a/ferry/"), ("", "")])
    func prefixes(given: String, used: String) throws {
        let layout = BucketLayout(prefix: given)
        #expect(layout.prefix == used)
        #expect(try layout.channel(pipeline: "p", channel: "c") == used + "channels/p/c.json")
    }

    @Test(arguments: ["", ".", "..", "web app", "web/app", "webapp\n", "é", "a:b", "a*", String(repeating: "x", count: 129)])
    func badNamesAreRefused(_ name: String) {
        let layout = BucketLayout()
        for error in [
            refusal { () throws(ManifestError) in try layout.releasesPrefix(pipeline: name) },
            refusal { () throws(ManifestError) in try layout.channel(pipeline: "webapp", channel: name) },
            refusal { () throws(ManifestError) in try layout.pin(pipeline: "webapp", silo: name) },
            refusal { () throws(ManifestError) in try layout.status(pipeline: "webapp", silo: name) },
        ] {
            #expect(error?.code == .invalidName)
        }
    }

    @Test func nameMessageSaysWhatIsAllowed() {
        let error = refusal { () throws(ManifestError) in try BucketLayout().pin(pipeline: "webapp", silo: "eu 1") }
        #expect(error?.message == "the silo name \"eu 1\" is not allowed; use 1 to 128 letters, digits, '.', '_' "
            + "or '-' (not \".\" or \"..\")")
    }

    @Test func longestNameIsAccepted() throws {
        let name = String(repeating: "x", count: 128)
        #expect(try BucketLayout().statusPrefix(pipeline: name) == "ferry/status/\(name)/")
    }

    @Test(arguments: ["abc", String(repeating: "A", count: 64), String(repeating: "a", count: 63), ""])
    func artifactNeedsADigest(_ digest: String) {
        #expect(refusal { () throws(ManifestError) in try BucketLayout().artifact(sha256: digest) }?.code == .invalidValue)
    }
}
