import Bucket
import Foundation
import Manifest
import TestSupport
import Testing

/// `ferry rollout` as a process against moto: it adopts the policy, opens waves one
/// signed move at a time, halts with a rollback and a quarantine (exit 2), and pause
/// needs a reason. Status reports are written as agents would.
@Suite struct RolloutCLITests {
    static let definition = """
        pipeline: webapp
        stacks:
          - name: app
            template: templates/app.yaml
        rollout:
          stable:
            waves:
              - {name: first, silos: [silo-a]}
              - {name: rest}
            maxFailures: 0

        """

    @Test func runsWavesAndHaltsOnAFailure() throws {
        let world = try FleetWorld()
        let key = try world.keyFile(ReleaseFixture.releaseKey, name: "release")
        _ = try world.dir.write("repo/pipelines/webapp.yaml", Self.definition)
        let repo = world.dir.url("repo")
        try world.publish("1.0.0", channel: "stable")
        let adopt = try world.ferry("rollout", "webapp", "--channel", "stable", "--key", key, "--repo", repo, "--once")
        #expect(adopt.status == 0, "\(adopt.stderr)")
        #expect(try world.pointer("stable").rollout?.open == 2)

        try world.publish("1.1.0", channel: "stable")  // a move up: wave 0 again
        #expect(try world.pointer("stable").rollout?.open == 0)
        let first = try world.ferry("rollout", "webapp", "--channel", "stable", "--key", key, "--repo", repo, "--once",
                                    "--json")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("\"step\":\"opened\"") && first.stdout.contains("\"open\":1"), "\(first.stdout)")

        // silo-a fails 1.1.0: the next step halts, rolls back, quarantines; exit 2; and tells
        // the topic (moto's SNS delivering to an SQS queue the test reads).
        let script = TestEnvironment.packageRoot + "/Tests/Support/sns_sqs.py"
        let name = "ferry-rollout-" + String(UUID().uuidString.prefix(8)).lowercased()
        let setup = try FerryProcess.runPython([script, "setup", world.endpoint, "123456789012", name]).check()
        let names = try #require(try JSONSerialization.jsonObject(with: Data(setup.stdout.utf8)) as? [String: String])
        let topic = try #require(names["topic"]), queue = try #require(names["queue"])
        try world.report("silo-a", channel: "stable", state: .failed, target: "1.1.0", applied: "1.0.0")
        let halt = try world.ferry("rollout", "webapp", "--channel", "stable", "--key", key, "--repo", repo, "--once",
                                   "--notify-topic-arn", topic)
        #expect(halt.status == 2, "\(halt.stdout) \(halt.stderr)")
        #expect(halt.stderr.contains("notified \(topic): ferry: webapp rollout-halted on channel stable (1.1.0 -> 1.0.0)"),
                "\(halt.stderr)")
        let received = try FerryProcess.runPython([script, "receive", world.endpoint, "123456789012", queue]).check()
        let messages = try #require(try JSONSerialization.jsonObject(with: Data(received.stdout.utf8)) as? [[String: Any]])
        #expect(messages.count == 1)
        let message = try #require(messages.first?["message"] as? [String: Any])
        #expect(messages.first?["subject"] as? String == "ferry: webapp rollout-halted on channel stable (1.1.0 -> 1.0.0)")
        #expect(message["trigger"] as? String == "rollout-halted" && message["channel"] as? String == "stable")
        #expect(message["from"] as? String == "1.1.0" && message["to"] as? String == "1.0.0")
        #expect(message["quarantined"] as? String == "1.1.0")
        #expect((message["reason"] as? String)?.hasPrefix("rollout halted: 1 of 1 silos of wave 'first' failed") == true)
        let failed = try #require(message["failedSilos"] as? [[String: Any]])
        #expect(failed.map { $0["silo"] as? String } == ["silo-a"])
        #expect(failed.first?["resource"] as? String == "app")
        #expect(halt.stdout.hasPrefix("halted: rollout halted: 1 of 1 silos of wave 'first' failed 1.1.0 (tolerance 0); "
            + "rolled back to 1.0.0; 1.1.0 quarantined"), "\(halt.stdout)")
        let pointer = try world.pointer("stable")
        #expect(pointer.release?.version.description == "1.0.0" && pointer.rollout?.halted == true)
        #expect(pointer.rollout?.quarantined.map(\.description) == ["1.1.0"])

        let status = try world.ferry("rollout", "status", "webapp", "--channel", "stable", "--repo", repo)
        #expect(status.stdout.hasPrefix("stopped: the rollout of 1.0.0 is halted"), "\(status.stdout)")
        let pause = try world.ferry("rollout", "pause", "webapp", "--channel", "stable", "--key", key)
        #expect(pause.status == 64 && pause.stderr.contains("--reason is required"), "\(pause.stderr)")
    }
}
