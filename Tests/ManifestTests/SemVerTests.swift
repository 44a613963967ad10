import Testing
@testable import Manifest

@Suite struct SemVerTests {
    @Test(arguments: [
        ("1.4.2", 1, 4, 2, [String](), [String]()),
        ("0.0.0-g0123456789ab", 0, 0, 0, ["g0123456789ab"], []),
        ("2.0.0-rc.1", 2, 0, 0, ["rc", "1"], []),
        ("1.2.0+build.7", 1, 2, 0, [], ["build", "7"]),
        ("1.0.0-alpha-1.0+001.sha-5114f85", 1, 0, 0, ["alpha-1", "0"], ["001", "sha-5114f85"]),
        ("10.20.30", 10, 20, 30, [], []),
    ])
    func parses(text: String, major: Int, minor: Int, patch: Int, prerelease: [String], build: [String]) throws {
        let version = try SemVer(text)
        #expect([version.major, version.minor, version.patch] == [major, minor, patch])
        #expect(version.prerelease == prerelease)
        #expect(version.build == build)
        #expect(version.description == text)
    }

    @Test(arguments: ["", "1", "1.2", "1.2.3.4", "v1.2.3", "01.2.3", "1.02.3", "1.2.03", "1.2.3-", "1.2.3+",
                      "1.2.3-01", "1.2.3-a..b", "1.2.3+a..b", "1.2.3-a_b", "1.2.3 ", " 1.2.3", "1.2.-3", "a.b.c",
                      "1.2.3-é", "99999999999999999999.0.0"])
    func refuses(_ text: String) {
        let error = refusal { () throws(ManifestError) in try SemVer(text) }
        #expect(error?.code == .invalidVersion)
    }

    /// semver.org §11's example chain, each strictly before the next.
    @Test func precedenceFollowsSemver11() throws {
        let chain = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
                     "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "1.10.0", "2.0.0"]
        let versions = try chain.map { text throws(ManifestError) in try SemVer(text) }
        for (earlier, later) in zip(versions, versions.dropFirst()) {
            #expect(earlier < later, "\(earlier) should come before \(later)")
            #expect(!(later < earlier))
        }
        #expect(versions.shuffled().sorted() == versions)
    }

    @Test func numericIdentifiersCompareAsNumbersAndBeforeWords() throws {
        #expect(try SemVer("1.0.0-2") < SemVer("1.0.0-10"))
        #expect(try SemVer("1.0.0-99999999999999999999") < SemVer("1.0.0-100000000000000000000"))
        #expect(try SemVer("1.0.0-999") < SemVer("1.0.0-a"))
        #expect(try SemVer("1.0.0-B") < SemVer("1.0.0-a"))  // ASCII order
    }

    @Test func buildMetadataIsIgnoredInPrecedence() throws {
        let a = try SemVer("1.2.0+build.7")
        let b = try SemVer("1.2.0+build.8")
        let plain = try SemVer("1.2.0")
        #expect(a.hasSamePrecedence(as: b))
        #expect(a.hasSamePrecedence(as: plain))
        #expect(a != b)
        let rc = try SemVer("1.2.0-rc.1")
        let next = try SemVer("1.2.1")
        #expect(rc < a)
        #expect(a < next)
        // The order stays total: exactly one of <, ==, > holds.
        #expect((a < b) != (b < a))
    }
}
