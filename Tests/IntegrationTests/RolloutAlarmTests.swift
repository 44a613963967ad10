import AWS
import Bucket
import Foundation
import Manifest
import TestSupport
import Testing

/// Issue 14 end to end on moto, through the real `ferry` binary: six silo accounts (STS
/// AssumeRole into fresh account ids), three waves by account id, one CloudWatch alarm in
/// each account (Tests/Support/cloudwatch_alarms.py), `ferry agent once` per silo and
/// `ferry rollout --once` as the controller, with a short bake. moto never rolls a stack
/// back on an alarm (it ignores RollbackConfiguration): the halt here comes from the
/// agents' own watch after the update, which is what the controller reads.
@Suite(.serialized) struct RolloutAlarmTests {
    /// Six silo accounts, their agents' state folders and credentials, and the world's bucket.
    final class AlarmFleet {
        let world: FleetWorld
        let accounts = (0..<6).map { _ in AWSTestConfig.uniqueAccountId() }
        let stackPrefix = "r" + String(UUID().uuidString.lowercased().prefix(8)) + "-"
        let key: String
        let repo: String
        let endpoint: String

        init(bake: String) throws {
            world = try FleetWorld()
            endpoint = world.endpoint
            key = try world.keyFile(ReleaseFixture.releaseKey, name: "release")
            _ = try world.dir.write("repo/pipelines/webapp.yaml", """
                pipeline: webapp
                stacks:
                  - name: app
                    template: templates/app.yaml
                rollout:
                  stable:
                    waves:
                      - {name: first, accounts: ["\(accounts[0])", "\(accounts[1])"]}
                      - {name: second, accounts: ["\(accounts[2])", "\(accounts[3])"]}
                      - {name: rest}
                    bake: \(bake)
                    maxFailures: 0
                    alarms: [webapp-errors]
                    insufficientData: unhealthy

                """)
            repo = world.dir.url("repo")
            var profiles = "[profile base]\nregion = us-east-1\n"
            for (index, account) in accounts.enumerated() {
                profiles += "[profile s\(index)]\nregion = us-east-1\nrole_arn = arn:aws:iam::\(account):role/ferry-agent\n"
                    + "source_profile = base\nrole_session_name = ferry-agent\n"
            }
            _ = try world.dir.write("home/config", profiles)
            _ = try world.dir.write("home/credentials", "[base]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
            for account in accounts {
                try Self.alarms(["put", endpoint, account, "webapp-errors"])
                try Self.alarms(["set", endpoint, account, "webapp-errors", "OK"])
            }
        }

        static func alarms(_ arguments: [String]) throws {
            try FerryProcess.runPython([TestEnvironment.packageRoot + "/Tests/Support/cloudwatch_alarms.py"] + arguments)
                .check()
        }

        func silo(_ index: Int) -> String { "\(accounts[index])-us-east-1" }

        /// Publishes `version` (a template that names it), on `channel` when given.
        func publish(_ version: String, channel: String?) throws {
            let template = "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n    Properties:\n"
                + "      TopicName: webapp-\(version.replacingOccurrences(of: ".", with: "-"))\n"
            _ = try ReleaseFixture.publish(to: world.bucket, pipeline: "webapp", version: version,
                                           stacks: [.init(name: "app", template: template)], channel: channel,
                                           in: world.dir.path)
        }

        /// `ferry agent once` in silo `index`'s own account (a role profile), as its own process.
        @discardableResult
        func agentOnce(_ index: Int) throws -> FerryRun {
            var arguments = ["agent", "once", "--bucket", world.bucket.name, "--prefix", world.bucket.layout.prefix,
                             "--pipeline", "webapp", "--channel", "stable", "--state-dir", world.dir.url("state-\(index)"),
                             "--stack-prefix", stackPrefix, "--endpoint-url", endpoint, "--profile", "s\(index)",
                             "--log-format", "json"]
            for trust in world.trust { arguments += ["--trust", trust] }
            let environment = ["HOME": world.dir.url("home"), "PATH": "/usr/bin:/bin",
                               "AWS_CONFIG_FILE": world.dir.url("home/config"),
                               "AWS_SHARED_CREDENTIALS_FILE": world.dir.url("home/credentials")]
            return try FerryProcess.run(arguments, environment: environment)
        }

        /// `agent once` in each silo; exit 3 is a silo whose wave is not open (it waits).
        func agentsOnce(_ indices: some Sequence<Int> = 0..<6) throws {
            for index in indices {
                let run = try agentOnce(index)
                #expect(run.status == 0 || run.status == 3, "silo \(index): \(run.stderr)")
            }
        }

        /// `ferry rollout webapp --channel stable --once`: one controller step.
        func rollout() throws -> FerryRun {
            try world.ferry("rollout", "webapp", "--channel", "stable", "--key", key, "--repo", repo, "--once")
        }

        func report(_ index: Int) throws -> StatusReport? { try world.bucket.status(pipeline: "webapp", silo: silo(index)) }

        /// The template the silo's stack runs (straight from moto, in the silo account).
        func template(_ index: Int) throws -> String {
            let config = try AWSTestConfig.make().assumingRole(arn: "arn:aws:iam::\(accounts[index]):role/ferry-agent",
                                                              sessionName: "ferry-test")
            return try CloudFormation(config: config).getTemplate(stackName: stackPrefix + "app")
        }

        /// Every silo on 1.0.0, the policy adopted, 1.1.0 published: wave 0 of 3 open.
        func start() throws {
            try publish("1.0.0", channel: "stable")
            try agentsOnce()
            for index in 0..<6 { #expect(try report(index)?.applied?.description == "1.0.0") }
            let adopt = try rollout()
            #expect(adopt.status == 0, "\(adopt.stdout) \(adopt.stderr)")
            #expect(try world.pointer("stable").schema == "ferry.pointer/v2.1")
            try publish("1.1.0", channel: "stable")
            #expect(try world.pointer("stable").rollout?.open == 0)
        }

        /// Opens the next wave, and checks it opened.
        func openNext(expecting open: Int) throws {
            let step = try rollout()
            #expect(step.status == 0 && step.stdout.hasPrefix("opened:"), "\(step.stdout) \(step.stderr)")
            #expect(try world.pointer("stable").rollout?.open == open)
        }
    }

    @Test func anAlarmInWaveTwoHaltsRollsBackAndQuarantines() throws {
        let fleet = try AlarmFleet(bake: "12s")
        try fleet.start()
        try fleet.openNext(expecting: 1)
        try fleet.agentsOnce()
        for index in 0..<2 {
            let report = try #require(try fleet.report(index))
            #expect(report.applied?.description == "1.1.0" && report.health?.state == .baking, "\(report)")
        }
        for index in 2..<6 { #expect(try fleet.report(index)?.state == .waiting) }
        let baking = try fleet.rollout()
        #expect(baking.stdout.hasPrefix("waiting: ") && baking.stdout.contains("bakes:"), "\(baking.stdout)")

        Thread.sleep(forTimeInterval: 12)
        try fleet.agentsOnce(0..<2)
        for index in 0..<2 { #expect(try fleet.report(index)?.health?.state == .healthy) }
        try fleet.openNext(expecting: 2)
        try fleet.agentsOnce(2..<4)
        // The alarm of silo 2 goes off during its bake.
        try AlarmFleet.alarms(["set", fleet.endpoint, fleet.accounts[2], "webapp-errors", "ALARM"])
        try fleet.agentsOnce(2..<4)
        let unhealthy = try #require(try fleet.report(2))
        #expect(unhealthy.applied?.description == "1.1.0" && unhealthy.health?.state == .unhealthy)
        #expect(unhealthy.health?.alarms == ["webapp-errors"])

        let halt = try fleet.rollout()
        #expect(halt.status == 2, "\(halt.stdout) \(halt.stderr)")
        #expect(halt.stdout.hasPrefix("halted: rollout halted: 1 of 2 silos of wave 'second' failed 1.1.0 (tolerance 0): "
            + "\(fleet.silo(2)) unhealthy (webapp-errors); rolled back to 1.0.0; 1.1.0 quarantined"), "\(halt.stdout)")
        let pointer = try fleet.world.pointer("stable")
        #expect(pointer.release?.version.description == "1.0.0" && pointer.rollout?.halted == true)
        #expect(pointer.rollout?.quarantined.map(\.description) == ["1.1.0"])

        // Waves 1 and 2 go back to 1.0.0; wave 3 never applied 1.1.0.
        try fleet.agentsOnce()
        for index in 0..<6 {
            let report = try #require(try fleet.report(index))
            #expect(report.applied?.description == "1.0.0" && report.state == .inSync, "silo \(index): \(report)")
            #expect(try fleet.template(index).contains("webapp-1-0-0"), "silo \(index)")
        }
        for index in 4..<6 { #expect(try fleet.report(index)?.target?.description != "1.1.0") }
        #expect(try fleet.rollout().status == 2)  // halted: no wave opens
        // The quarantined version cannot be pinned back without --force and a reason.
        let oncall = try fleet.world.keyFile(ReleaseFixture.oncallKey, name: "oncall")
        let pin = try fleet.world.ferry("pin", "webapp", "--silo", fleet.silo(5), "--to", "1.1.0", "--key", oncall,
                                        "--reason", "try it")
        #expect(pin.status != 0 && pin.stderr.contains("quarantined"), "\(pin.stdout) \(pin.stderr)")
    }

    @Test func healthySilosCompleteEveryWaveBakeIncluded() throws {
        let fleet = try AlarmFleet(bake: "3s")
        try fleet.start()
        for wave in 0..<3 {
            try fleet.openNext(expecting: wave + 1)
            let silos = wave == 2 ? Array(4..<6) : [wave * 2, wave * 2 + 1]
            try fleet.agentsOnce(silos)
            for index in silos { #expect(try fleet.report(index)?.health?.state == .baking) }
            let baking = try fleet.rollout()
            #expect(baking.stdout.hasPrefix("waiting: ") && baking.stdout.contains("bakes:"), "\(baking.stdout)")
            Thread.sleep(forTimeInterval: 3)
            try fleet.agentsOnce(silos)
            for index in silos { #expect(try fleet.report(index)?.health?.state == .healthy) }
        }
        let done = try fleet.rollout()
        #expect(done.status == 0 && done.stdout.hasPrefix("done:"), "\(done.stdout) \(done.stderr)")
        for index in 0..<6 {
            #expect(try fleet.report(index)?.applied?.description == "1.1.0")
            #expect(try fleet.template(index).contains("webapp-1-1-0"))
        }
    }
}
