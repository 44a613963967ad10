import Agent
import Foundation
import Manifest
import Testing

/// Drift: when it is checked, what counts, what is reverted, and its settings. Pure.
@Suite struct DriftDecisionTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func report(_ state: StatusReport.State = .inSync, applied: String? = "1.0.0",
                       checkedSecondsAgo: Double? = nil) throws -> StatusReport {
        var report = StatusReport(pipeline: "webapp", silo: "silo-a", channel: "stable",
                                  applied: try applied.map { try SemVer($0) }, state: state,
                                  error: state == .failed ? .init(code: "stackFailed", message: "x") : nil,
                                  reportedAt: Timestamp.format(now), intervalSeconds: 30)
        if let ago = checkedSecondsAgo {
            report.drift = .init(mode: "report", checkedAt: Timestamp.format(now.addingTimeInterval(-ago)))
        }
        return report
    }

    @Test func aCheckIsDueOnlyForAnInSyncSiloPastTheInterval() throws {
        let hourly = DriftSettings(mode: .report, interval: 3600)
        #expect(DriftDecision.isDue(hourly, last: try Self.report(), now: Self.now))
        #expect(DriftDecision.isDue(hourly, last: try Self.report(checkedSecondsAgo: 3600), now: Self.now))
        #expect(!DriftDecision.isDue(hourly, last: try Self.report(checkedSecondsAgo: 3599), now: Self.now))
        #expect(!DriftDecision.isDue(DriftSettings(mode: .off, interval: 0), last: try Self.report(), now: Self.now))
        #expect(!DriftDecision.isDue(hourly, last: try Self.report(.deploying), now: Self.now))
        #expect(!DriftDecision.isDue(hourly, last: try Self.report(.failed), now: Self.now))
        #expect(!DriftDecision.isDue(hourly, last: try Self.report(applied: nil), now: Self.now))
        #expect(!DriftDecision.isDue(hourly, last: nil, now: Self.now))
        #expect(DriftDecision.isDue(DriftSettings(mode: .revert, interval: 0),
                                    last: try Self.report(checkedSecondsAgo: 0), now: Self.now))
    }

    @Test func detectionSteps() {
        typealias D = DriftDetection
        #expect(DriftDecision.step(D(status: .inProgress), polls: 1, limit: 3) == .wait)
        #expect(DriftDecision.step(D(status: .inProgress), polls: 3, limit: 3)
                == .failed("the drift detection did not finish in 3 polls"))
        #expect(DriftDecision.step(D(status: .complete, stackDriftStatus: "DRIFTED"), polls: 1, limit: 3) == .drifted)
        #expect(DriftDecision.step(D(status: .complete, stackDriftStatus: "IN_SYNC"), polls: 1, limit: 3) == .inSync)
        // Some resources could not be checked; those that were still drifted.
        #expect(DriftDecision.step(D(status: .failed, stackDriftStatus: "DRIFTED", reason: "x"), polls: 1, limit: 3)
                == .drifted)
        #expect(DriftDecision.step(D(status: .failed, stackDriftStatus: "UNKNOWN", reason: "no access"), polls: 1,
                                   limit: 3) == .failed("no access"))
    }

    @Test func findingsLeaveOutExcludedTypesAndResourcesInSync() {
        let drifts = [
            ResourceDrift(stack: "b", logicalResourceId: "Role", resourceType: "AWS::IAM::Role", status: "MODIFIED"),
            ResourceDrift(stack: "b", logicalResourceId: "Queue", resourceType: "AWS::SQS::Queue", status: "DELETED"),
            ResourceDrift(stack: "a", logicalResourceId: "Topic", resourceType: "AWS::SNS::Topic", status: "MODIFIED",
                          properties: ["/Properties/DisplayName NOT_EQUAL"]),
            ResourceDrift(stack: "a", logicalResourceId: "Fine", resourceType: "AWS::SNS::Topic", status: "IN_SYNC"),
        ]
        let found = DriftDecision.findings(drifts, excluding: ["AWS::IAM::*", "AWS::Lambda::Function"])
        #expect(found.map { "\($0.stack)/\($0.logicalResourceId)" } == ["a/Topic", "b/Queue"])
        #expect(DriftDecision.findings(drifts, excluding: ["AWS::SQS::Queue", "AWS::SNS::Topic", "AWS::IAM::Role"])
                .isEmpty)
        #expect(!DriftDecision.isExcluded("AWS::IAM::Role", by: ["AWS::IAM::Policy"]))
    }

    @Test func onlyRevertModeRevertsAndOnlyDriftedStacksInReleaseOrder() {
        let findings = [
            ResourceDrift(stack: "app", logicalResourceId: "Q", resourceType: "AWS::SQS::Queue", status: "MODIFIED"),
            ResourceDrift(stack: "data", logicalResourceId: "T", resourceType: "AWS::SNS::Topic", status: "DELETED"),
            ResourceDrift(stack: "app", logicalResourceId: "R", resourceType: "AWS::SQS::Queue", status: "MODIFIED"),
        ]
        let order = ["data", "net", "app"]
        #expect(DriftDecision.stacksToRevert(.revert, findings: findings, order: order) == ["data", "app"])
        #expect(DriftDecision.stacksToRevert(.report, findings: findings, order: order).isEmpty)
        #expect(DriftDecision.stacksToRevert(.revert, findings: [], order: order).isEmpty)
    }

    @Test func theReportSectionRoundTripsAndIsChecked() throws {
        let section = DriftDecision.section(.revert, findings: [
            ResourceDrift(stack: "app", logicalResourceId: "Q", resourceType: "AWS::SQS::Queue", status: "MODIFIED",
                          properties: ["/Properties/VisibilityTimeout NOT_EQUAL"]),
        ], checkedAt: Self.now, revertedAt: Self.now)
        var report = try Self.report()
        report.drift = section
        let decoded = try StatusReport.decode(try report.canonicalBytes())
        #expect(decoded.drift == section)
        #expect(decoded.drift?.isDrifted == false)
        // A report without drift decodes without it (agents before drift detection).
        report.drift = nil
        #expect(try StatusReport.decode(try report.canonicalBytes()).drift == nil)
        // A bad drift section is refused, naming the field.
        report.drift = StatusReport.Drift(mode: "sometimes", checkedAt: "yesterday")
        #expect(throws: ManifestError.self) { try report.canonicalBytes() }
        let text = String(decoding: try section.jsonForTest(), as: UTF8.self)
        #expect(text.contains("\"difference\":\"MODIFIED\""))
    }

    @Test func settingsFromEverySource() throws {
        var flags = AgentSettings.Layer()
        flags.bucket = "b"
        flags.pipelines = ["webapp"]
        flags.trust = ["k.pub=builder"]
        #expect(try AgentSettings.resolve(flags: flags).drift == DriftSettings())
        let file = try AgentSettings.Layer.yaml("drift: revert\ndrift-interval: 30m\ndrift-exclude: [AWS::IAM::*]\n",
                                                file: "agent.yaml")
        #expect(try AgentSettings.resolve(flags: flags, file: file).drift
                == DriftSettings(mode: .revert, interval: 1800, excludedTypes: ["AWS::IAM::*"]))
        let environment = try AgentSettings.Layer.environment([
            "FERRY_DRIFT": "report", "FERRY_DRIFT_EXCLUDE": "AWS::IAM::*,AWS::SQS::Queue"])
        #expect(try AgentSettings.resolve(flags: flags, environment: environment).drift
                == DriftSettings(mode: .report, excludedTypes: ["AWS::IAM::*", "AWS::SQS::Queue"]))
        flags.drift = "off"
        #expect(try AgentSettings.resolve(flags: flags, file: file).drift.mode == .off)

        flags.drift = "fix"
        #expect { try AgentSettings.resolve(flags: flags) } throws: { error in
            (error as? AgentError)?.message == "drift 'fix' is not a drift mode; use off, report or revert"
        }
        flags.drift = nil
        flags.driftExclude = ["Queue"]
        #expect { try AgentSettings.resolve(flags: flags) } throws: { error in
            (error as? AgentError)?.message
                == "drift-exclude 'Queue' is not a resource type; write e.g. AWS::SQS::Queue or AWS::IAM::*"
        }
    }
}

extension StatusReport.Drift {
    func jsonForTest() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
