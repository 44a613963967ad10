import AWS
import Bucket
import Foundation
import Manifest
import TestSupport
import Testing

/// Issue 13, "nothing fails silently", on the command line against moto: every name is
/// checked against what exists, a wrong or unversioned bucket says so, and the on-call
/// views show what a person needs.
@Suite struct NameCheckCLITests {
    /// webapp: 1.0.0 on stable, silos 111111111111 (in sync) and 222222222222 (failed).
    static func world() throws -> FleetWorld {
        let world = try FleetWorld()
        try world.publish("1.0.0", channel: "stable")
        try world.report("111111111111", channel: "stable", target: "1.0.0", applied: "1.0.0", serial: 1)
        try world.report("222222222222", channel: "stable", state: .failed, target: "1.0.0", applied: nil, serial: 1)
        return world
    }

    @Test func aMistypedPipelineFailsNamingThePipelinesThatExist() throws {
        let world = try Self.world()
        for command in ["status", "history"] {
            let run = try world.ferry(command, "webap")
            #expect(run.status == 1 && run.stdout.isEmpty, "\(command): \(run.stderr)")
            #expect(run.stderr.contains("no pipeline webap in s3://\(world.bucket.name) (did you mean 'webapp'?): "
                + "its pipelines are webapp"), "\(command): \(run.stderr)")
        }
    }

    @Test func aSiloMissingADigitIsNotPinnedUnlessNew() throws {
        let world = try Self.world()
        let key = try world.keyFile(ReleaseFixture.oncallKey, name: "oncall")
        let pinKey = try world.bucket.layout.pin(pipeline: "webapp", silo: "11111111111")
        let typo = try world.ferry("pin", "webapp", "--silo", "11111111111", "--to", "1.0.0", "--reason", "x",
                                   "--key", key)
        #expect(typo.status == 1 && typo.stdout.isEmpty)
        #expect(typo.stderr.contains("silo 11111111111 has never reported for webapp (did you mean '111111111111'?)"),
                "\(typo.stderr)")
        #expect(try !world.bucket.exists(key: pinKey))
        let new = try world.ferry("pin", "webapp", "--silo", "11111111111", "--to", "1.0.0", "--reason", "x",
                                  "--key", key, "--new-silo")
        #expect(new.status == 0, "\(new.stderr)")
        #expect(try world.bucket.exists(key: pinKey))
    }

    @Test func aMistypedChannelIsNeverCreated() throws {
        let world = try Self.world()
        let key = try world.keyFile(ReleaseFixture.releaseKey, name: "release")
        let run = try world.ferry("promote", "webapp", "--from", "stable", "--to", "stabel", "--key", key, "--force")
        #expect(run.status == 1)
        #expect(run.stderr.contains("channel stabel is not a channel of webapp (did you mean 'stable'?)"), "\(run.stderr)")
        #expect(run.stderr.contains("pass --new-channel"))
        #expect(try world.bucket.currentPointer(pipeline: "webapp", scope: .channel("stabel")) == nil)
    }

    @Test func aWrongBucketSaysNoSuchBucketInEveryCommand() throws {
        let world = try Self.world()
        let key = try world.keyFile(ReleaseFixture.oncallKey, name: "oncall")
        let missing = uniqueName("ferry-missing")
        let commands: [[String]] = [
            ["rollback", "webapp", "--channel", "stable", "--previous", "--reason", "x", "--key", key],
            ["pin", "webapp", "--silo", "111111111111", "--to", "1.0.0", "--reason", "x", "--key", key],
            ["history", "webapp"], ["status", "webapp"],
        ]
        for command in commands {
            let run = try world.ferry(command + ["--bucket", missing])
            #expect(run.status == 1, "\(command): \(run.stderr)")
            #expect(run.stderr.contains("no such bucket: s3://\(missing) does not exist (NoSuchBucket)"),
                    "\(command): \(run.stderr)")
        }
    }

    @Test func anUnversionedBucketIsRefusedWithTheCommandThatFixesIt() throws {
        let world = try FleetWorld()
        let s3 = S3(config: try AWSTestConfig.make())
        let plain = uniqueName("ferry-plain")
        try s3.createBucket(plain)
        #expect(try s3.bucketVersioning(bucket: plain) == .neverEnabled)
        let run = try world.ferry("history", "webapp", "--bucket", plain)
        #expect(run.status == 1)
        #expect(run.stderr.contains("aws s3api put-bucket-versioning --bucket \(plain) --versioning-configuration "
            + "Status=Enabled"), "\(run.stderr)")
        try s3.putBucketVersioning(plain, enabled: false)
        #expect(try s3.bucketVersioning(bucket: plain) == .suspended)
        #expect(try s3.bucketVersioning(bucket: world.bucket.name) == .enabled)
    }

    @Test func statusShowsEveryPipelineFiltersAndOneSiloInDetail() throws {
        let world = try Self.world()
        try ReleaseFixture.publish(to: world.bucket, pipeline: "ingest", version: "2.0.0",
                                   stacks: [.init(name: "app", template: FleetWorld.template)], channel: "canary",
                                   in: world.dir.path)
        let all = try world.ferry("status", "--fail-on", "none")
        #expect(all.status == 0, "\(all.stderr)")
        #expect(all.stdout.contains("== ingest ==") && all.stdout.contains("== webapp =="), "\(all.stdout)")
        let failed = try world.ferry("status", "webapp", "--state", "failed")
        #expect(failed.status == 2)
        #expect(failed.stdout.contains("222222222222") && !failed.stdout.contains("111111111111"))
        let typo = try world.ferry("status", "webapp", "--state", "faild")
        #expect(typo.status == 64 && typo.stderr.contains("(did you mean 'failed'?)"), "\(typo.stderr)")
        var report = try #require(try world.bucket.status(pipeline: "webapp", silo: "222222222222"))
        report.events = [StatusReport.Event(time: "2026-12-05T01:00:00Z", stack: "webapp-app", resource: "Topic",
                                            status: "CREATE_FAILED", reason: "Topic limit exceeded")]
        try world.bucket.putStatus(report)
        let one = try world.ferry("status", "webapp", "--silo", "222222222222", "--fail-on", "none")
        #expect(one.status == 0)
        #expect(one.stdout.contains("at fault  app") && one.stdout.contains("Topic limit exceeded"), "\(one.stdout)")
        let json = try world.ferry("status", "webapp", "--json", "--fail-on", "none")
        #expect(json.stdout.contains("\"events\"") && json.stdout.contains("Topic limit exceeded"))
    }

    @Test func aPrivateKeyOthersCanReadIsRefusedAndAnUnknownVersionOptionFails() throws {
        let world = try Self.world()
        let key = try world.keyFile(ReleaseFixture.oncallKey, name: "oncall")
        chmod(key, 0o644)
        let run = try world.ferry("pin", "webapp", "--silo", "111111111111", "--to", "1.0.0", "--reason", "x",
                                  "--key", key)
        #expect(run.status == 1)
        #expect(run.stderr.contains("is readable by group or others (mode 0644)")
            && run.stderr.contains("chmod 600 \(key)"), "\(run.stderr)")
        chmod(key, 0o600)
        let version = try world.ferry("pin", "webapp", "--silo", "111111111111", "--version", "1.1.0", "--reason", "x",
                                      "--key", key)
        #expect(version.status != 0, "\(version.stdout)")
        #expect(try !world.bucket.exists(key: try world.bucket.layout.pin(pipeline: "webapp", silo: "111111111111")))
    }

    @Test func pinSaysWhenTheAgentNoticesAndUnpinWaitsForTheSiloToFollowItsChannel() throws {
        let world = try Self.world()
        let key = try world.keyFile(ReleaseFixture.oncallKey, name: "oncall")
        let pin = try world.ferry("pin", "webapp", "--silo", "111111111111", "--to", "1.0.0", "--reason", "hold",
                                  "--key", key)
        #expect(pin.status == 0, "\(pin.stderr)")
        #expect(pin.stderr.contains("its agent reads pins every 3 minutes by default"), "\(pin.stderr)")
        try world.report("111111111111", channel: "stable", target: "1.0.0", applied: "1.0.0", pinned: true, serial: 1)
        let unpin = try world.start(["unpin", "webapp", "--silo", "111111111111", "--reason", "done", "--key", key,
                                     "--wait", "--timeout", "60s", "--poll-interval", "1s"])
        Thread.sleep(forTimeInterval: 1.5)
        #expect(unpin.isRunning, "unpin --wait returned while the silo was still pinned: \(unpin.stderrSoFar)")
        try world.report("111111111111", channel: "stable", target: "1.0.0", applied: "1.0.0", serial: 1)
        let run = try unpin.wait()
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("111111111111: in-sync on 1.0.0"), "\(run.stderr)")
    }

    @Test func keysCarryTheirNameAndStatusAndHistoryShowIt() throws {
        let world = try Self.world()
        let generated = try world.ferry("keys", "generate", "--out", world.dir.url("keys"), "--name", "oncall")
        #expect(generated.status == 0, "\(generated.stderr)")
        let text = try String(contentsOfFile: world.dir.url("keys/oncall.pub"), encoding: .utf8)
        #expect(text.hasPrefix("ferry-ed25519-public ") && text.hasSuffix(" oncall\n"))
        let named = try world.dir.write("release-named.pub", ReleaseFixture.releaseKey.publicKey.named("release").fileContents)
        let label = "release (\(String(ReleaseFixture.releaseKey.id.hex.prefix(12))))"
        let status = try world.ferry("status", "webapp", "--fail-on", "none", "--trust", named)
        #expect(status.stdout.contains(label), "\(status.stdout)")
        let history = try world.ferry("history", "webapp", "--trust", named + "=release")
        #expect(history.stdout.contains(label), "\(history.stdout)")
    }

    @Test func watchShowsTheStatusAgainUntilStopped() throws {
        let world = try Self.world()
        let watch = try world.start(["status", "webapp", "--watch", "1", "--fail-on", "none"])
        for _ in 0..<100 where watch.stdoutSoFar.components(separatedBy: "(every 1s; Ctrl-C stops)").count < 3 {
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(watch.isRunning)
        kill(watch.pid, SIGTERM)
        for _ in 0..<50 where watch.isRunning { Thread.sleep(forTimeInterval: 0.1) }
        #expect(!watch.isRunning, "status --watch did not stop on SIGTERM")
        if watch.isRunning { kill(watch.pid, SIGKILL) }
        let run = try watch.wait()
        #expect(run.stdout.components(separatedBy: "2 silos: 1 in-sync, 1 failed").count >= 3, "\(run.stdout)")
    }
}
