import Agent
import AWS
import Foundation
import Manifest
import Testing

/// The health verdict and the rollback triggers, as tables (pure, no network).
@Suite struct HealthJudgeTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)
    static let v2 = try! SemVer("1.1.0")

    static func alarm(_ name: String, _ state: CloudWatch.AlarmState, kind: CloudWatch.Alarm.Kind = .metric) -> CloudWatch.Alarm {
        CloudWatch.Alarm(name: name, arn: "arn:aws:cloudwatch:us-east-1:111122223333:alarm:\(name)", kind: kind,
                         state: state, stateReason: state == .alarm ? "Threshold Crossed" : nil)
    }

    static func judge(_ gate: HealthGate, after seconds: Double, _ alarms: [CloudWatch.Alarm],
                      earlier: SiloHealth? = nil) -> SiloHealth {
        HealthJudge.judge(gate: gate, version: v2, bakeStartedAt: start, now: start.addingTimeInterval(seconds),
                          alarms: alarms, earlier: earlier)
    }

    static func gate(_ insufficient: RolloutPolicy.InsufficientData = .healthy) -> HealthGate {
        HealthGate(alarmNames: ["errors"], alarmPrefixes: ["p99-"], bakeSeconds: 600, insufficientData: insufficient)
    }

    @Test func bakesThenIsHealthy() {
        let ok = [Self.alarm("errors", .ok), Self.alarm("p99-api", .ok, kind: .composite), Self.alarm("unrelated", .alarm)]
        let baking = Self.judge(Self.gate(), after: 599, ok)
        #expect(baking.state == .baking && baking.watched == 2 && baking.alarms.isEmpty)
        #expect(baking.bakeStartedAt == Timestamp.format(Self.start) && baking.bakeSeconds == 600)
        #expect(Self.judge(Self.gate(), after: 600, ok).state == .healthy)
    }

    @Test func anAlarmMakesItUnhealthyNamingItAndStays() {
        let firing = Self.judge(Self.gate(), after: 30, [Self.alarm("errors", .ok), Self.alarm("p99-api", .alarm, kind: .composite)])
        #expect(firing.state == .unhealthy && firing.alarms == ["p99-api"])
        #expect(firing.reason == "p99-api is ALARM: Threshold Crossed")
        // Final: the alarm back to OK and the bake over change nothing.
        #expect(Self.judge(Self.gate(), after: 900, [Self.alarm("errors", .ok), Self.alarm("p99-api", .ok)], earlier: firing)
            == firing)
        // A verdict about another release (or another bake) is not carried over.
        var older = firing
        older.version = try! SemVer("1.0.0")
        #expect(Self.judge(Self.gate(), after: 900, [Self.alarm("errors", .ok)], earlier: older).state == .healthy)
    }

    @Test(arguments: [
        (RolloutPolicy.InsufficientData.healthy, SiloHealth.State.healthy, [String]()),
        (.unhealthy, .unhealthy, ["errors", "p99-api"]),
        (.wait, .baking, ["errors", "p99-api"]),
    ])
    func insufficientDataCountsAsThePolicySays(_ rule: RolloutPolicy.InsufficientData, _ state: SiloHealth.State,
                                               _ named: [String]) {
        // errors does not exist in this account; p99-api has no data.
        let verdict = Self.judge(Self.gate(rule), after: 3600, [Self.alarm("p99-api", .insufficientData)])
        #expect(verdict.state == state && verdict.alarms == named)
        if rule == .unhealthy {
            #expect(verdict.reason == "errors does not exist in this account; p99-api is INSUFFICIENT_DATA "
                + "(insufficientData: unhealthy)")
        }
    }

    @Test func anUnknownStateIsNeverTakenForOK() {
        #expect(Self.judge(Self.gate(.wait), after: 3600, [Self.alarm("errors", .other("PENDING"))]).state == .baking)
    }

    @Test func triggersAreTheFirstFiveARNsByNameMonitoredForTheBake() {
        let gate = HealthGate(alarmPrefixes: ["a-"], bakeSeconds: 601)
        let alarms = (1...7).reversed().map { Self.alarm("a-\($0)", .ok) } + [Self.alarm("b", .ok)]
        let (triggers, left) = HealthJudge.triggers(gate: gate, alarms: alarms)
        #expect(triggers?.alarmArns == (1...5).map { "arn:aws:cloudwatch:us-east-1:111122223333:alarm:a-\($0)" })
        #expect(triggers?.monitoringMinutes == 11)
        #expect(left == ["a-6", "a-7"])
        #expect(HealthJudge.triggers(gate: gate, alarms: [Self.alarm("b", .ok)]).triggers == nil)
    }
}
