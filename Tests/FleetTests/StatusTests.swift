import Fleet
import Foundation
import Manifest
import Testing

/// `ferry status`'s pure parts: staleness, conditions, --fail-on, the table, colour, ages.
struct StatusTests {
    @Test(arguments: [
        // (age, interval, stale)
        (0, 30, false), (89, 30, false), (90, 30, false), (91, 30, true),
        (179, 60, false), (181, 60, true), (10_801, 3600, true),
        // 0 means "unknown" (agent run by cron): the agent's default 30 s applies.
        (90, 0, false), (91, 0, true),
    ])
    func aSiloIsStaleAfterThreeIntervals(age: Int, interval: Int, stale: Bool) {
        #expect(Staleness.isStale(ageSeconds: age, intervalSeconds: interval) == stale)
    }

    @Test(arguments: [
        // (age, interval, heartbeat, stale): an idle agent reports every heartbeat, so it is
        // stale only once its next report is three intervals late.
        (1_800, 30, 1_800, false), (1_890, 30, 1_800, false), (1_891, 30, 1_800, true),
        (91, 30, 0, true), (3_600, 60, 3_600, false), (3_781, 60, 3_600, true),
    ])
    func aHeartbeatMovesTheDeadline(age: Int, interval: Int, heartbeat: Int, stale: Bool) {
        #expect(Staleness.isStale(ageSeconds: age, intervalSeconds: interval, heartbeatSeconds: heartbeat) == stale)
    }

    @Test func aRowCarriesTheReportJudgedAtNow() {
        let row = SiloRow(Fixture.report("silo-a", state: .failed, age: 95), now: Fixture.now)
        #expect(row.ageSeconds == 95 && row.stale && row.reportedState == .failed)
        #expect(row.condition == .stale)
        #expect(row.conditions == [.stale, .failed])
        // A report from the future (clock skew) is 0 s old, not negative, and not stale.
        let future = SiloRow(Fixture.report("silo-b", age: -40), now: Fixture.now)
        #expect(future.ageSeconds == 0 && !future.stale && future.condition == .inSync)
    }

    @Test(arguments: [
        ("failed,stale", Set<SiloCondition>([.failed, .stale])),
        ("failed", [.failed]),
        ("refused,deploying", [.refused, .deploying]),
        ("failed, stale ,refused,deploying", [.failed, .stale, .refused, .deploying]),
        ("none", []),
    ] as [(String, Set<SiloCondition>)])
    func failOnParses(text: String, conditions: Set<SiloCondition>) throws {
        #expect(try FailOn.parse(text).conditions == conditions)
    }

    @Test(arguments: ["", "in-sync", "failed,bogus", "none,failed", ","])
    func failOnRefusesWhatItDoesNotKnow(text: String) {
        let error = #expect(throws: FleetError.self) { try FailOn.parse(text) }
        #expect(error?.code == .invalidInput)
        #expect(error?.message.contains("--fail-on") == true)
    }

    @Test func statusWarnsWhenAChannelExpiresWithinAWeek() {
        let soon = Timestamp.format(Fixture.now.addingTimeInterval(3 * 86_400))
        let later = Timestamp.format(Fixture.now.addingTimeInterval(20 * 86_400))
        let gone = Timestamp.format(Fixture.now.addingTimeInterval(-60))
        let fleet = FleetStatus(pipeline: "webapp", now: Fixture.now, pointers: [
            Fixture.pointer("stable", serial: 2, version: "1.1.0", expiresAt: later),
            Fixture.pointer("canary", serial: 3, version: "1.2.0", expiresAt: soon),
            Fixture.pointer("beta", serial: 1, version: "1.2.0", expiresAt: gone),
            Fixture.pointer("old", serial: 1, version: "1.0.0"),
        ], reports: [])
        #expect(fleet.warnings == [
            "channel beta expired at \(gone): agents refuse it and keep what runs; re-sign it with "
                + "`ferry refresh webapp --channel beta`",
            "channel canary expires at \(soon), in 3d: re-sign it with `ferry refresh webapp --channel canary` "
                + "(run it on a schedule)",
        ])
        let text = StatusView.render(fleet, color: false)
        #expect(text.contains("warning: channel canary expires at \(soon)"))
        #expect(!text.contains("channel stable expires"))
        #expect(!StatusView.render(Self.fleet, color: false).contains("warning"))
    }

    static let fleet = FleetStatus(
        pipeline: "webapp", now: Fixture.now,
        pointers: [Fixture.pointer("stable", serial: 2, version: "1.1.0", reason: "promote 1.1.0 from canary to stable"),
                   Fixture.pointer("canary", serial: 3, version: "1.2.0", reason: "publish 1.2.0")],
        reports: [
            Fixture.report("silo-d", channel: "stable", state: .deploying, target: "1.1.0", applied: "1.0.0", age: 5),
            Fixture.report("silo-b", state: .failed, applied: "1.1.0", age: 75),
            Fixture.report("silo-a", age: 10),
            Fixture.report("silo-c", channel: "stable", target: "1.0.0", applied: "1.0.0", age: 600, interval: 60,
                           pinned: true),
        ])

    @Test(arguments: [
        // (--fail-on, failing silos, passes)
        ("failed,stale", ["silo-b", "silo-c"], false),
        ("failed", ["silo-b"], false),
        ("stale", ["silo-c"], false),
        ("deploying", ["silo-d"], false),
        ("refused", [], true),
        ("none", [], true),
    ] as [(String, [String], Bool)])
    func failOnPicksTheSilosThatFail(text: String, failing: [String], passes: Bool) throws {
        let check = try FailOn.parse(text)
        #expect(check.failing(Self.fleet).map(\.silo) == failing)
        #expect(check.passes(Self.fleet) == passes)
    }

    /// Issue 13: `ferry status` exited 0 while a silo was refused; a misconfigured silo
    /// (its agent names no pipeline in the bucket, or may not read it) fails the gate too.
    @Test func theDefaultFailsOnRefusedAndMisconfiguredButNotOnWaitingOrStopped() throws {
        #expect(FailOn.standard.conditions == [.failed, .stale, .refused, .misconfigured, .expired])
        #expect(try FailOn.parse(FailOn.standardText) == FailOn.standard)
        let refusal = StatusReport.Failure(code: "refused", message: "signed by an unknown key")
        let fleet = FleetStatus(pipeline: "webapp", now: Fixture.now, pointers: [], reports: [
            Fixture.report("silo-a", state: .refused, age: 10, error: refusal),
            Fixture.report("silo-b", state: .misconfigured, age: 10,
                           error: .init(code: "noSuchPipeline", message: "no release of webapp")),
            Fixture.report("silo-c", state: .waiting, target: nil, applied: nil, age: 10),
            Fixture.report("silo-d", state: .stopped, age: 10),
            Fixture.report("silo-e", age: 10),
        ])
        #expect(FailOn.standard.failing(fleet).map(\.silo) == ["silo-a", "silo-b"])
        #expect(!FailOn.standard.passes(fleet))
        #expect(try FailOn.parse("waiting,stopped").failing(fleet).map(\.silo) == ["silo-c", "silo-d"])
        #expect(fleet.counts.map { "\($0.1) \($0.0.rawValue)" }
            == ["1 in-sync", "1 waiting", "1 stopped", "1 refused", "1 misconfigured"])
    }

    /// A stopped agent writes no heartbeat: `stopped` turns `stale` at the same bound as a
    /// silent one (heartbeat + 3 intervals), and says so meanwhile.
    @Test func aStoppedSiloSaysWhenItTurnsStale() {
        let fresh = SiloRow(Fixture.report("silo-a", state: .stopped, age: 60, heartbeat: 1800), now: Fixture.now)
        #expect(fresh.condition == .stopped)
        #expect(StatusView.render(FleetStatus(pipeline: "webapp", now: Fixture.now, pointers: [], reports: [
            Fixture.report("silo-a", state: .stopped, age: 60, heartbeat: 1800)]), color: false).contains(
            "\nsilo-a stopped: its agent stopped 1m ago and writes no report until it starts again (stale after 31m)\n"))
        let old = SiloRow(Fixture.report("silo-a", state: .stopped, age: 1891, heartbeat: 1800), now: Fixture.now)
        #expect(old.condition == .stale && old.conditions == [.stale, .stopped])
    }

    @Test func aStaleSiloThatFailedCountsForBoth() throws {
        let fleet = FleetStatus(pipeline: "webapp", now: Fixture.now, pointers: [],
                                reports: [Fixture.report("silo-x", state: .failed, age: 1000)])
        #expect(try FailOn.parse("failed").failing(fleet).map(\.silo) == ["silo-x"])
        #expect(try FailOn.parse("stale").failing(fleet).map(\.silo) == ["silo-x"])
        #expect(try FailOn.parse("deploying").passes(fleet))
    }

    @Test func anUnreadableReportFailsUnlessNone() throws {
        let fleet = FleetStatus(pipeline: "webapp", now: Fixture.now, pointers: [],
                                reports: [Fixture.report("silo-a")], unreadable: ["status/webapp/x.json: bad"])
        #expect(!(try FailOn.parse("deploying").passes(fleet)))
        #expect(try FailOn.parse("none").passes(fleet))
    }

    @Test func thePlainTableIsExact() {
        let id = String(Fixture.key.id.hex.prefix(12))
        let expected = """
            CHANNEL  VERSION  SERIAL  MOVED                 BY            REASON
            canary   1.2.0    3       2027-01-03T00:00:00Z  \(id)  publish 1.2.0
            stable   1.1.0    2       2027-01-02T00:00:00Z  \(id)  promote 1.1.0 from canary to stable

            SILO    CHANNEL  PINNED  TARGET  APPLIED  STATE      AGE
            silo-a  canary   no      1.2.0   1.2.0    in-sync    10s
            silo-b  canary   no      1.2.0   1.1.0    failed     1m
            silo-c  stable   yes     1.0.0   1.0.0    stale      10m
            silo-d  stable   no      1.1.0   1.0.0    deploying  5s

            silo-b failed: UPDATE_ROLLBACK_COMPLETE: stack ingest failed (ingest)
            silo-c stale: no report for 10m (expected every 1m)

            4 silos: 1 in-sync, 1 deploying, 1 failed, 1 stale

            """
        #expect(StatusView.render(Self.fleet, color: false) == expected)
    }

    @Test func colourOnlyAddsCodesAndKeepsTheColumns() {
        let coloured = StatusView.render(Self.fleet, color: true)
        #expect(coloured.contains("\u{1B}[32min-sync\u{1B}[0m"))
        #expect(coloured.contains("\u{1B}[31mfailed\u{1B}[0m"))
        #expect(coloured.contains("\u{1B}[35mstale\u{1B}[0m"))
        let stripped = coloured.replacingOccurrences(of: "\u{1B}\\[[0-9]+m", with: "", options: .regularExpression)
        #expect(stripped == StatusView.render(Self.fleet, color: false))
    }

    @Test func anEmptyPipelineSaysSo() {
        let fleet = FleetStatus(pipeline: "webapp", now: Fixture.now, pointers: [], reports: [])
        #expect(StatusView.render(fleet, color: false) == """
            no channel of webapp has been set yet

            no silo has reported for webapp yet

            0 silos

            """)
    }

    @Test(arguments: [
        // (terminal, environment, colour)
        (true, [String: String](), true),
        (false, [:], false),
        (true, ["NO_COLOR": "1"], false),
        (true, ["NO_COLOR": ""], true),
        (true, ["TERM": "dumb"], false),
        (false, ["TERM": "xterm-256color"], false),
    ])
    func colourOnlyOnATerminalWithoutNoColor(terminal: Bool, environment: [String: String], colour: Bool) {
        #expect(useColor(isTerminal: terminal, environment: environment) == colour)
    }

    @Test(arguments: [(0, "0s"), (59, "59s"), (60, "1m"), (3599, "59m"), (3600, "1h"), (86_399, "23h"),
                      (86_400, "1d"), (-5, "0s")])
    func agesReadLikeKubectl(seconds: Int, text: String) {
        #expect(Age.format(seconds: seconds) == text)
    }

    @Test(arguments: [("90s", 90), ("10m", 600), ("2h", 7200), ("1d", 86_400), ("45", 45), ("0s", 0)])
    func durationsParse(text: String, seconds: Int) throws {
        #expect(try Age.parse(text) == seconds)
    }

    @Test(arguments: ["", "m", "10x", "-5s", "1.5m", "99999999999999d"])
    func badDurationsAreRefused(text: String) {
        #expect(throws: FleetError.self) { try Age.parse(text) }
    }
}
