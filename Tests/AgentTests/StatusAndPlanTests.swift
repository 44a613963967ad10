import Agent
import Foundation
import Manifest
import Testing

@Suite struct StatusBuilderTests {
    static let now = Timestamp.parse("2024-05-01T12:00:00Z")!

    func facts(applied: ReleaseRecord? = nil, latest: ReleaseRecord? = nil, inFlight: DeploymentState? = nil,
               refusals: [AgentError] = []) -> StatusFacts {
        StatusFacts(pipeline: "webapp", silo: "silo-1", channel: "stable", intervalSeconds: 30, heartbeatSeconds: 1800,
                    now: Self.now, pinned: false, applied: applied, latest: latest, inFlight: inFlight, refusals: refusals)
    }

    /// Real records: a silo that applied 1.0.0, then failed 1.1.0 on app/Queue.
    func history() throws -> (applied: ReleaseRecord, failed: ReleaseRecord, second: DeployPlan) {
        let silo = try Silo()
        _ = try silo.apply(try silo.release("1.0.0", serial: 1, [StackDraft(name: "app", template: queueTemplate("a1"))]))
        let second = try silo.release("1.1.0", serial: 2, [
            StackDraft(name: "app", template: queueTemplate("a2", failMarker("Access Denied"))),
        ])
        _ = try silo.apply(second)
        let journal = try silo.journal()
        return (try #require(try journal.lastApplied(pipeline: "webapp")),
                try #require(try journal.latestRelease(pipeline: "webapp")), second)
    }

    @Test func inSyncFailedRefusedDeploying() throws {
        let (applied, failed, second) = try history()
        let v1 = try SemVer("1.0.0"), v11 = try SemVer("1.1.0")

        let inSync = StatusBuilder.report(facts(applied: applied, latest: applied))
        #expect(inSync.state == .inSync && inSync.applied == v1 && inSync.target == inSync.applied)
        #expect(inSync.targetSerial == 1 && inSync.error == nil)
        #expect(inSync.events.last?.status == "CREATE_COMPLETE")

        let failedReport = StatusBuilder.report(facts(applied: applied, latest: failed))
        #expect(failedReport.state == .failed && failedReport.target == v11)
        #expect(failedReport.applied == v1)
        #expect(failedReport.error?.code == "stackFailed" && failedReport.error?.resource == "app/Queue")
        #expect(failedReport.error?.message.contains("Access Denied") == true)
        #expect(failedReport.events.contains { $0.resource == "Queue" && $0.status == "UPDATE_FAILED" })
        #expect(failedReport.finishedAt != nil)

        let refusal = AgentError(.replay, "the channel pointer has serial 1, not above 2", next: .needsPerson)
        let refused = StatusBuilder.report(facts(applied: applied, latest: failed, refusals: [refusal]))
        #expect(refused.state == .refused && refused.error?.code == "replay")
        // A document that failed verification reports the specific ManifestError code (docs/manifest.md).
        let unsigned = AgentError(.refused, "the channel pointer was refused: bad signature", next: .needsPerson,
                                  cause: ManifestError(.badSignature, "the signature does not match"))
        #expect(StatusBuilder.report(facts(applied: applied, refusals: [unsigned])).error?.code == "badSignature")

        var flying = DeploymentState(plan: second, attempt: "a1", startedAt: "2024-05-01T11:59:00Z")
        flying.waiting = FailureRecord(AgentError(.stackBusy, "app is UPDATE_IN_PROGRESS", next: .waitAndRetry(after: 30),
                                                  resource: "app"))
        let deploying = StatusBuilder.report(facts(applied: applied, latest: failed, inFlight: flying, refusals: [refusal]))
        #expect(deploying.state == .deploying && deploying.target == v11 && deploying.targetSerial == 2)
        #expect(deploying.error?.code == "stackBusy" && deploying.startedAt == "2024-05-01T11:59:00Z")

        // Every report is one Ferry would write (it validates and encodes).
        for report in [inSync, failedReport, refused, deploying] {
            _ = try report.canonicalBytes()
        }
    }

    @Test func writesOnlyWhenSomethingChanged() throws {
        let (applied, failed, _) = try history()
        let first = StatusBuilder.report(facts(applied: applied, latest: applied))
        #expect(StatusBuilder.shouldWrite(first, last: nil))
        var later = facts(applied: applied, latest: applied)
        later.now = Self.now.addingTimeInterval(1799)
        let same = StatusBuilder.report(later)
        #expect(same.reportedAt != first.reportedAt && same.heartbeatSeconds == 1800)
        #expect(!StatusBuilder.shouldWrite(same, last: first))
        #expect(StatusBuilder.shouldWrite(StatusBuilder.report(facts(applied: applied, latest: failed)), last: first))
        // A heartbeat after it: the same report is written again, so on-call sees the silo alive.
        later.now = Self.now.addingTimeInterval(1800)
        #expect(StatusBuilder.shouldWrite(StatusBuilder.report(later), last: first))
        #expect(StatusBuilder.heartbeatDue(last: first, heartbeatSeconds: 1800, now: later.now))
        #expect(!StatusBuilder.heartbeatDue(last: first, heartbeatSeconds: 1800, now: Self.now.addingTimeInterval(1799)))
        #expect(!StatusBuilder.heartbeatDue(last: first, heartbeatSeconds: 0, now: later.now))
        #expect(!StatusBuilder.heartbeatDue(last: nil, heartbeatSeconds: 1800, now: later.now))
    }
}

@Suite struct DeployPlanTests {
    func manifestStack(_ name: String, dependsOn: [String] = []) -> Manifest.Stack {
        Manifest.Stack(name: name, template: "t/\(name).yaml", dependsOn: dependsOn)
    }

    @Test func ordersByDependenciesKeepingManifestOrder() throws {
        let stacks = [manifestStack("app", dependsOn: ["data", "net"]), manifestStack("data"),
                      manifestStack("net"), manifestStack("jobs", dependsOn: ["data"])]
        #expect(try DeployPlan.applyOrder(stacks).map(\.name) == ["data", "net", "app", "jobs"])
    }

    @Test func refusesCyclesAndUnknownDependencies() {
        #expect {
            _ = try DeployPlan.applyOrder([manifestStack("a", dependsOn: ["b"]), manifestStack("b", dependsOn: ["a"])])
        } throws: { ($0 as? AgentError)?.code == .plan && ($0 as? AgentError)?.message.contains("cycle") == true }
        #expect {
            _ = try DeployPlan.applyOrder([manifestStack("a", dependsOn: ["ghost"])])
        } throws: { ($0 as? AgentError)?.code == .plan && ($0 as? AgentError)?.resource == "a" }
    }

    @Test func overridesOverlayParametersAndMoveTheDigest() throws {
        let silo = try Silo()
        let stacks = [StackDraft(name: "app", template: queueTemplate("a"), parameters: ["Stage": "prod", "Size": "2"])]
        let plain = try silo.release("1.0.0", serial: 1, stacks)
        let overridden = try silo.release("1.0.0", serial: 2, stacks, overrides: ["app": ["Size": "8"], "gone": ["X": "1"]])
        #expect(overridden.stacks[0].spec.parameters == ["Stage": "prod", "Size": "8"])
        #expect(overridden.stacks[0].spec.digest != plain.stacks[0].spec.digest)
        // The folder (and so the path) is not part of the digest: the same release elsewhere is the same stack.
        #expect(plain.stacks[0].spec.templatePath != overridden.stacks[0].spec.templatePath)
        let again = try silo.release("1.0.0", serial: 3, stacks)
        #expect(again.stacks[0].spec.digest == plain.stacks[0].spec.digest)
        #expect(plain.changeSetName(for: plain.stacks[0].spec, attempt: "lvn2k3x0abc")
                == "ferry-1-\(plain.stacks[0].spec.digest.prefix(12))-lvn2k3x0abc")
        #expect(plain.changeSetName(for: plain.stacks[0].spec, attempt: "") == "ferry-1-\(plain.stacks[0].spec.digest.prefix(12))")
        let pinned = try silo.release("1.0.0", serial: 4, source: .pin, stacks)
        #expect(pinned.rollbackChangeSetName(for: pinned.stacks[0].spec, attempt: "a1").hasPrefix("ferry-pin4-rollback-"))
        // Two attempts begun at the same millisecond still differ (three random characters).
        let now = Date(timeIntervalSince1970: 1_714_564_800)
        let ids = Set((0..<20).map { _ in DeployPlan.attemptID(now: now) })
        #expect(ids.count > 1 && ids.allSatisfy { $0.allSatisfy { $0.isLetter || $0.isNumber } })
    }

    @Test func refusesAManifestOfAnotherVersion() throws {
        let silo = try Silo()
        let plan = try silo.release("1.0.0", serial: 1, [StackDraft(name: "app", template: queueTemplate("a"))])
        var target = plan.target
        target.version = try SemVer("2.0.0")
        let manifest = Manifest(pipeline: "webapp", version: try SemVer("1.0.0"), createdAt: "2024-05-01T12:00:00Z",
                                source: .init(repository: "r", commit: String(repeating: "a", count: 40), author: "a",
                                              subject: "s"))
        #expect(throws: AgentError.self) {
            _ = try DeployPlan.make(manifest: manifest, target: target, folder: plan.folder)
        }
    }
}
