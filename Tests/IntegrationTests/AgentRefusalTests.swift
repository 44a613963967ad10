import AWS
import Agent
import Archive
import Bucket
import Foundation
import Manifest
import TestSupport
import Testing

/// Releases the agent must refuse before anything is applied: each leaves the stacks as
/// they were, nothing on disk, and a `refused` report.
@Suite struct AgentRefusalTests {
    @Test func aBundleWithAFileChangedAfterSigningIsRefused() throws {
        let silo = try SiloHarness()
        try silo.publish("1.0.0", [.init(name: "app", template: queueTemplate("\(silo.stackPrefix)app-v1"))])
        let agent = try silo.agent()
        #expect(agent.once().map(\.kind) == [.applied])
        try silo.publish("1.1.0", [.init(name: "app", template: queueTemplate("\(silo.stackPrefix)app-v2"))]) { entries in
            let index = entries.firstIndex { $0.name == "templates/app.yaml" }!
            entries[index] = ZipEntry(name: "templates/app.yaml", source: .bytes(Data(queueTemplate("evil").utf8)))
        }
        let outcome = try #require(agent.once().first)
        #expect(outcome.kind == .refused)
        #expect(outcome.error?.message.contains("templates/app.yaml in the bundle") == true)
        #expect(outcome.error?.message.contains("the bundle was altered") == true)
        try expectNothingApplied(silo, running: "1.0.0", refusedTarget: "1.1.0")
        // Refused once for this serial: not downloaded again on the next tick.
        silo.http.resetRequestCounts()
        #expect(agent.tick().map(\.kind) == [.idle])
        #expect(silo.http.requestCounts.total == 2)
    }

    @Test func aManifestSignedByAnUnknownKeyIsRefused() throws {
        let silo = try SiloHarness()
        var built = try ReleaseFixture.build(pipeline: "webapp", version: "1.0.0",
                                             stacks: [.init(name: "app", template: queueTemplate("x"))],
                                             in: silo.directory.path)
        built.signature = try signManifest(built.manifest, with: try SigningKey(seed: Data(repeating: 9, count: 32))).signature
        let release = try ReleaseFixture.upload(built, to: silo.releases)
        try ReleaseFixture.move(silo.releases, pipeline: "webapp", channel: "canary", to: release, reason: "test")
        let outcome = try #require(try silo.agent().once().first)
        #expect(outcome.kind == .refused)
        #expect(outcome.error?.message.contains("the manifest of webapp 1.0.0 (channel canary, serial 1) was refused") == true)
        #expect(try silo.cloudFormation().describeStack(silo.stackPrefix + "app") == nil)
        let report = try #require(try silo.report())
        #expect(report.state == .refused)
        #expect(report.applied == nil)
    }

    @Test func anOlderPointerWrittenBackIsRefusedAsAReplay() throws {
        let silo = try SiloHarness()
        try silo.publish("1.0.0", [.init(name: "app", template: queueTemplate("\(silo.stackPrefix)app-v1"))])
        let key = try silo.releases.layout.channel(pipeline: "webapp", channel: "canary")
        guard case .found(let oldPointer, _) = try silo.releases.read(key: key, cap: SizeCap.pointer) else {
            Issue.record("no pointer")
            return
        }
        let agent = try silo.agent()
        #expect(agent.once().map(\.kind) == [.applied])
        try silo.publish("1.1.0", [.init(name: "app", template: queueTemplate("\(silo.stackPrefix)app-v2"))])
        #expect(agent.once().map(\.kind) == [.applied])

        try silo.releases.put(key: key, data: oldPointer)  // serial 1 again, validly signed
        let outcome = try #require(agent.once().first)
        #expect(outcome.kind == .refused)
        #expect(outcome.error?.code == .replay)
        #expect(try silo.cloudFormation().getTemplate(stackName: silo.stackPrefix + "app").contains("app-v2"))
        let report = try #require(try silo.report())
        #expect(report.state == .refused)
        #expect(report.error?.code == "replay")
        #expect(report.applied == (try SemVer("1.1.0")))
    }

    @Test func anExpiredPointerIsRefusedAndWhatRunsKeepsRunning() throws {
        let silo = try SiloHarness()
        try silo.publish("1.0.0", [.init(name: "app", template: queueTemplate("\(silo.stackPrefix)app-v1"))])
        let agent = try silo.agent()
        #expect(agent.once().map(\.kind) == [.applied])
        let release = try silo.publish("1.1.0", [.init(name: "app", template: queueTemplate("\(silo.stackPrefix)app-v2"))],
                                       channel: nil)
        try ReleaseFixture.move(silo.releases, pipeline: "webapp", channel: "canary", to: release, reason: "test",
                                now: Date().addingTimeInterval(-120), lifetime: 60)
        let outcome = try #require(agent.once().first)
        #expect(outcome.kind == .refused)
        #expect(outcome.error?.code == .expired)
        #expect(try silo.cloudFormation().getTemplate(stackName: silo.stackPrefix + "app").contains("app-v1"))
        let report = try #require(try silo.report())
        #expect(report.state == .expired)
        #expect(report.error?.code == "expired")
        #expect(report.applied == (try SemVer("1.0.0")))
    }

    /// The pointer in force expires while nothing new comes (a frozen bucket): the silo
    /// keeps running what it runs, says `expired`, and `ferry status` fails on it.
    @Test func thePointerInForceExpiringIsReportedAndFailsStatus() throws {
        let silo = try SiloHarness()
        let release = try silo.publish("1.0.0", [.init(name: "app", template: queueTemplate("\(silo.stackPrefix)app-v1"))],
                                       channel: nil)
        let issued = Date()
        try ReleaseFixture.move(silo.releases, pipeline: "webapp", channel: "canary", to: release, reason: "test",
                                now: issued, lifetime: 8)
        let agent = try silo.agent()
        #expect(agent.once().map(\.kind) == [.applied])
        Thread.sleep(until: issued.addingTimeInterval(9))
        let outcome = try #require(agent.tick().first)
        #expect(outcome.error?.code == .expired, "\(String(describing: outcome.error))")
        #expect(try silo.cloudFormation().getTemplate(stackName: silo.stackPrefix + "app").contains("app-v1"))
        let report = try #require(try silo.report())
        let v100 = try SemVer("1.0.0")
        #expect(report.state == .expired && report.applied == v100)
        let status = try silo.ferry(["status", "webapp", "--bucket", silo.releases.name, "--endpoint-url", silo.endpoint])
        #expect(status.status == 2, "\(status.stdout)\(status.stderr)")
        #expect(status.stdout.contains("expired"), "\(status.stdout)")
    }

    /// Hostile zips, each with a manifest signed by the trusted builder key and a pointer
    /// naming the zip's true digest: only the unpack checks stand in the way.
    enum Hostile: String, CaseIterable, Sendable {
        case dotDot, absolute, symlink, zipBomb
    }

    @Test(arguments: Hostile.allCases)
    func aHostileBundleIsRefusedAndWritesNothingOutside(_ hostile: Hostile) throws {
        let silo = try SiloHarness()
        let marker = "ferry-escape-" + UUID().uuidString.lowercased()
        let outside = silo.directory.url("outside")
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        var built = try ReleaseFixture.build(pipeline: "webapp", version: "1.0.0",
                                             stacks: [.init(name: "app", template: queueTemplate("x"))],
                                             in: silo.directory.path)
        built.bundleSha256 = try appendHostileEntry(hostile, to: built.bundlePath, marker: marker, outside: outside)
        let release = try ReleaseFixture.upload(built, to: silo.releases)
        try ReleaseFixture.move(silo.releases, pipeline: "webapp", channel: "canary", to: release, reason: "test")

        let outcome = try #require(try silo.agent().once().first)
        #expect(outcome.kind == .refused, "\(hostile)")
        let message = outcome.error?.message ?? ""
        #expect(message.contains("was refused while unpacking"), "\(message)")
        switch hostile {
        case .dotDot, .absolute: #expect(message.contains(marker), "\(message)")
        case .symlink: #expect(message.contains("link"), "\(message)")
        case .zipBomb: #expect(message.contains("zip bomb"), "\(message)")
        }
        #expect(try silo.cloudFormation().describeStack(silo.stackPrefix + "app") == nil)
        #expect(try silo.report()?.state == .refused)
        // Nothing outside the staging folder, and the staging folder itself is gone.
        #expect(!FileManager.default.fileExists(atPath: "/tmp/" + marker))
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty)
        #expect(try files(under: silo.directory.path).filter { $0.contains(marker) }.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: silo.stateDirectory + "/releases/.incoming"))
        #expect((try? FileManager.default.contentsOfDirectory(atPath: silo.stateDirectory + "/releases/webapp")) ?? []
            == [])
    }

    // MARK: Helpers

    private func expectNothingApplied(_ silo: SiloHarness, running: String, refusedTarget: String) throws {
        #expect(try silo.cloudFormation().getTemplate(stackName: silo.stackPrefix + "app").contains("app-v1"))
        let report = try #require(try silo.report())
        #expect(report.state == .refused)
        #expect(report.applied == (try SemVer(running)))
        #expect(report.target == (try SemVer(refusedTarget)))
        let kept = try FileManager.default.contentsOfDirectory(atPath: silo.stateDirectory + "/releases/webapp")
        #expect(kept == ["\(running)-channel-canary-1"])
        #expect(!FileManager.default.fileExists(atPath: silo.stateDirectory + "/releases/.incoming"))
    }

    /// Adds one hostile entry to the zip with Python's zipfile (libarchive's writer refuses
    /// such names); returns the zip's new SHA-256.
    private func appendHostileEntry(_ hostile: Hostile, to zip: String, marker: String, outside: String) throws -> String {
        let script = """
            import hashlib, sys, zipfile
            path, kind, marker, outside = sys.argv[1:5]
            with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as z:
                if kind == "dotDot":
                    z.writestr("templates/../../../" + marker, b"escaped")
                elif kind == "absolute":
                    z.writestr("/tmp/" + marker, b"escaped")
                elif kind == "symlink":
                    link = zipfile.ZipInfo("templates/link")
                    link.create_system = 3
                    link.external_attr = 0o120777 << 16
                    z.writestr(link, outside)
                    z.writestr("templates/link/" + marker, b"escaped")
                elif kind == "zipBomb":
                    with z.open("templates/" + marker + ".bin", "w") as f:
                        for _ in range(30):
                            f.write(bytes(1 << 20))
            print(hashlib.sha256(open(path, "rb").read()).hexdigest())
            """
        let run = try FerryProcess.runPython(["-c", script, zip, hostile.rawValue, marker, outside]).check()
        let digest = run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard digest.count == 64 else { throw FerryRunFailed(run: run) }
        return digest
    }

    private func files(under root: String) throws -> [String] {
        var found: [String] = []
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let path = enumerator?.nextObject() as? String { found.append(path) }
        return found
    }
}
