import Fleet
import Foundation
import Manifest
import Testing

/// `--wait`: which silos a move concerns, when they have converged, and the loop that
/// follows them — with scripted reports and a fake clock.
struct ConvergenceTests {
    typealias F = Fixture
    static let goal = ConvergenceGoal(.channel("stable"), version: Fixture.v("1.1.0"), serial: 5)

    @Test(arguments: [
        // (report, stage, line)
        (F.report("s1", channel: "stable", target: "1.1.0", applied: "1.1.0", serial: 5), .done, "s1: in-sync on 1.1.0"),
        (F.report("s1", channel: "stable", state: .deploying, target: "1.1.0", applied: "1.2.0", serial: 5), .deploying,
         "s1: deploying 1.1.0 (applied 1.2.0)"),
        (F.report("s1", channel: "stable", state: .failed, target: "1.1.0", applied: "1.2.0", serial: 5), .failed,
         "s1: failed on 1.1.0: UPDATE_ROLLBACK_COMPLETE: stack ingest failed"),
        (F.report("s1", channel: "stable", target: "1.2.0", applied: "1.2.0", serial: 4), .waiting,
         "s1: waiting for its agent to take 1.1.0 (on 1.2.0, in-sync)"),
        // An old report about 1.1.0 (serial 2, before the move) does not answer serial 5...
        (F.report("s1", channel: "stable", state: .failed, target: "1.1.0", applied: "1.0.0", serial: 2), .waiting,
         "s1: waiting for its agent to take 1.1.0 (on 1.1.0, failed)"),
        // ...but an agent that does not report serials is judged by version.
        (F.report("s1", channel: "stable", target: "1.1.0", applied: "1.1.0", serial: nil), .done, "s1: in-sync on 1.1.0"),
        (F.report("s1", channel: "stable", target: "1.0.0", applied: "1.0.0", pinned: true), .skipped,
         "s1: pinned to 1.0.0, not following the channel"),
    ] as [(StatusReport, Convergence.Silo.Stage, String)])
    func eachSiloIsJudgedFromItsReport(report: StatusReport, stage: Convergence.Silo.Stage, line: String) {
        let snapshot = Convergence.evaluate(Self.goal, reports: [report, F.report("other", channel: "canary")])
        #expect(snapshot.silos == [Convergence.Silo(silo: "s1", stage: stage, line: line)])
        #expect(snapshot.converged == (stage == .done || stage == .skipped))
    }

    @Test func aPinnedSiloGoalWaitsForThatSiloEvenBeforeItReports() {
        let goal = ConvergenceGoal(.silo("s9"), version: F.v("1.0.0"), serial: 3)
        let none = Convergence.evaluate(goal, reports: [F.report("s1")])
        #expect(none.silos.map(\.line) == ["s9: no report yet"] && !none.converged)
        let done = Convergence.evaluate(goal, reports: [F.report("s9", target: "1.0.0", applied: "1.0.0", pinned: true, serial: 3)])
        #expect(done.converged)
    }

    /// Reports scripted per read, a clock that advances only when the watcher pauses.
    final class Script {
        var reads: [[StatusReport]]
        var clock = Fixture.now
        var pauses: [Double] = []
        var lines: [String] = []
        init(_ reads: [[StatusReport]]) { self.reads = reads }

        func watcher() -> ConvergenceWatcher {
            ConvergenceWatcher(
                read: { () throws(FleetError) in self.reads.count > 1 ? self.reads.removeFirst() : self.reads[0] },
                now: { self.clock },
                pause: { self.pauses.append($0); self.clock += $0 },
                progress: { self.lines.append($0) })
        }
    }

    @Test func theWatcherPrintsOneLinePerChangeUntilConverged() throws {
        let script = Script([
            [F.report("a", channel: "stable", target: "1.2.0", serial: 4), F.report("b", channel: "stable", target: "1.2.0", serial: 4)],
            [F.report("a", channel: "stable", state: .deploying, target: "1.1.0", serial: 5), F.report("b", channel: "stable", target: "1.2.0", serial: 4)],
            [F.report("a", channel: "stable", state: .deploying, target: "1.1.0", serial: 5), F.report("b", channel: "stable", target: "1.2.0", serial: 4)],
            [F.report("a", channel: "stable", target: "1.1.0", applied: "1.1.0", serial: 5),
             F.report("b", channel: "stable", target: "1.1.0", applied: "1.1.0", serial: 5)],
        ])
        let snapshot = try script.watcher().wait(for: Self.goal, timeout: 600, every: 5)
        #expect(snapshot.converged)
        #expect(script.lines == [
            "a: waiting for its agent to take 1.1.0 (on 1.2.0, in-sync)",
            "b: waiting for its agent to take 1.1.0 (on 1.2.0, in-sync)",
            "a: deploying 1.1.0 (applied 1.2.0)",
            "a: in-sync on 1.1.0",
            "b: in-sync on 1.1.0",
            "converged: 2 silos in-sync on 1.1.0",
        ])
        #expect(script.pauses == [5, 5, 5])
    }

    @Test func theWatcherStopsAtTheFirstFailure() {
        let script = Script([[F.report("a", channel: "stable", state: .failed, target: "1.1.0", applied: "1.2.0", serial: 5)]])
        let error = #expect(throws: FleetError.self) { try script.watcher().wait(for: Self.goal, timeout: 600, every: 5) }
        #expect(error?.code == .convergenceFailed)
        #expect(error?.message.hasPrefix("a: failed on 1.1.0: UPDATE_ROLLBACK_COMPLETE") == true)
        #expect(script.pauses.isEmpty)
    }

    @Test func theWatcherGivesUpAtTheTimeoutNamingWhoIsLate() {
        let script = Script([[F.report("a", channel: "stable", target: "1.1.0", applied: "1.1.0", serial: 5),
                              F.report("b", channel: "stable", state: .deploying, target: "1.1.0", applied: "1.2.0", serial: 5)]])
        let error = #expect(throws: FleetError.self) { try script.watcher().wait(for: Self.goal, timeout: 12, every: 5) }
        #expect(error?.code == .timedOut)
        #expect(error?.message == "gave up waiting after 12s: b: deploying 1.1.0 (applied 1.2.0). The move stands; "
            + "follow it with `ferry status`")
        #expect(script.pauses == [5, 5, 2])  // never sleeps past the deadline
    }

    @Test func nothingToWaitForWhenNoSiloFollowsTheChannel() throws {
        let script = Script([[F.report("a", channel: "canary")]])
        let snapshot = try script.watcher().wait(for: Self.goal, timeout: 60, every: 5)
        #expect(snapshot.silos.isEmpty && snapshot.converged)
        #expect(script.lines == ["no silo to wait for: none reports on channel stable"])
    }

    /// An agent started before its pipeline had any release reports `misconfigured`
    /// (noSuchPipeline) and judges its settings again at its next tick. A move made after
    /// that report does not fail on it (`ferry promote --wait` right after the first
    /// release did); a misconfigured report written after the move still fails it.
    @Test func aMisconfiguredReportFromBeforeTheMoveIsWaitedForAndOneFromAfterFailsIt() throws {
        let noPipeline = StatusReport.Failure(code: "noSuchPipeline", message: "no release of the pipeline webapp")
        let goal = ConvergenceGoal(.channel("stable"), version: F.v("1.1.0"), serial: 5,
                                   since: F.now.addingTimeInterval(-5))
        let before = F.report("b", channel: "stable", state: .misconfigured, target: nil, applied: nil, age: 60,
                              error: noPipeline)
        let after = F.report("b", channel: "stable", state: .misconfigured, target: nil, applied: nil, age: 1,
                             error: noPipeline)
        #expect(Convergence.evaluate(goal, reports: [before]).silos == [Convergence.Silo(
            silo: "b", stage: .waiting, line: "b: misconfigured before this move: noSuchPipeline: no release of the "
                + "pipeline webapp; waiting for its agent to judge its settings again")])
        #expect(Convergence.evaluate(goal, reports: [after]).silos.map(\.stage) == [.failed])
        var withoutTime = goal
        withoutTime.since = nil
        #expect(Convergence.evaluate(withoutTime, reports: [before]).silos.map(\.stage) == [.failed])

        let script = Script([[before], [F.report("b", channel: "stable", state: .waiting, target: nil, applied: nil, age: 2)],
                             [F.report("b", channel: "stable", target: "1.1.0", applied: "1.1.0", age: 0, serial: 5)]])
        let snapshot = try script.watcher().wait(for: goal, timeout: 600, every: 5)
        #expect(snapshot.converged && script.lines.last == "converged: 1 silo in-sync on 1.1.0")
    }
}
