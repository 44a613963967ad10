import Agent
import AWS
import Foundation
import Manifest
import MemoryStacks
import TestSupport
import Testing

/// What MemoryAlarms models, on moto: the same alarms give the same answer through the
/// agent's `AlarmSource` over CloudWatch (CloudWatchAlarms) as in memory. And
/// CreateChangeSet takes the rollback triggers (moto accepts and ignores them: it never
/// rolls a stack back on an alarm).
struct HealthGateMotoTests {
    static let gate = HealthGate(alarmNames: ["webapp-errors", "webapp-missing"], alarmPrefixes: ["webapp-p99-"],
                                 bakeSeconds: 300)

    @Test func cloudWatchAnswersAsMemoryAlarmsDoes() throws {
        let endpoint = try TestEnvironment.motoEndpoint()
        let account = AWSTestConfig.uniqueAccountId()
        let memory = MemoryAlarms(account: account)
        let script = TestEnvironment.packageRoot + "/Tests/Support/cloudwatch_alarms.py"
        let alarms = ["webapp-errors", "webapp-p99-latency", "webapp-p99-5xx", "billing"]
        try FerryProcess.runPython([script, "put", endpoint, account] + alarms).check()
        alarms.forEach { memory.put($0) }
        // Every state set explicitly: moto starts a new alarm at OK, AWS (and MemoryAlarms) at INSUFFICIENT_DATA.
        for (name, state) in [("webapp-errors", CloudWatch.AlarmState.alarm), ("webapp-p99-latency", .ok),
                              ("webapp-p99-5xx", .insufficientData), ("billing", .alarm)] {
            try FerryProcess.runPython([script, "set", endpoint, account, name, state.rawValue]).check()
            memory.set(name, state)
        }
        let live = CloudWatchAlarms(config: try AWSTestConfig.make().assumingRole(
            arn: "arn:aws:iam::\(account):role/ferry-agent", sessionName: "ferry-test"))
        func shape(_ source: any AlarmSource) throws -> [String] {
            try source.alarms(names: Self.gate.alarmNames, prefixes: Self.gate.alarmPrefixes)
                .map { "\($0.name) \($0.kind.rawValue) \($0.state) \($0.arn)" }.sorted()
        }
        let expected = [
            "webapp-errors MetricAlarm ALARM arn:aws:cloudwatch:us-east-1:\(account):alarm:webapp-errors",
            "webapp-p99-5xx MetricAlarm INSUFFICIENT_DATA arn:aws:cloudwatch:us-east-1:\(account):alarm:webapp-p99-5xx",
            "webapp-p99-latency MetricAlarm OK arn:aws:cloudwatch:us-east-1:\(account):alarm:webapp-p99-latency",
        ]
        #expect(try shape(live) == expected)
        #expect(try shape(memory) == expected)
        // And so the verdict is the same.
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let version = try SemVer("1.1.0")
        var verdicts: [SiloHealth] = []
        for source in [live, memory] as [any AlarmSource] {
            let seen = try source.alarms(names: Self.gate.alarmNames, prefixes: Self.gate.alarmPrefixes)
            verdicts.append(HealthJudge.judge(gate: Self.gate, version: version, bakeStartedAt: start, now: start,
                                              alarms: seen))
        }
        #expect(verdicts[0] == verdicts[1])
        #expect(verdicts[0].state == SiloHealth.State.unhealthy && verdicts[0].alarms == ["webapp-errors"])
    }

    @Test func createChangeSetTakesTheRollbackTriggers() throws {
        let account = AWSTestConfig.uniqueAccountId()
        let config = try AWSTestConfig.make().assumingRole(arn: "arn:aws:iam::\(account):role/ferry-agent",
                                                          sessionName: "ferry-test")
        let stacks = CloudFormationStacks(config: config)
        let request = ChangeSetRequest(
            stackName: "gate-app", changeSetName: "ferry-1", type: .create,
            template: .body("Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n"), parameters: [:], tags: [:],
            capabilities: [], description: "ferry webapp 1.1.0",
            rollbackTriggers: RollbackTriggers(alarmArns: ["arn:aws:cloudwatch:us-east-1:\(account):alarm:webapp-errors"],
                                               monitoringMinutes: 5))
        #expect(try stacks.createChangeSet(request) != nil)
        #expect(try stacks.describeChangeSet(stack: "gate-app", name: "ferry-1") != nil)
    }
}
