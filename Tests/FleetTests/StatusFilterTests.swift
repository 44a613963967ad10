import Fleet
import Foundation
import Manifest
import Testing

/// `ferry status --silo --channel --version --state`, and the one-silo view.
struct StatusFilterTests {
    static let status = FleetStatus(
        pipeline: "webapp", now: Fixture.now,
        pointers: [Fixture.pointer("canary", serial: 3, version: "1.3.0"), Fixture.pointer("stable", serial: 2, version: "1.2.0")],
        reports: [Fixture.report("a", channel: "canary", target: "1.3.0", applied: "1.3.0"),
                  Fixture.report("b", channel: "stable", state: .failed, target: "1.2.0", applied: "1.1.0"),
                  Fixture.report("c", channel: "stable", age: 4000)])

    @Test func filtersNarrowTheRows() {
        #expect(Self.status.filtered(silo: "b").silos.map(\.silo) == ["b"])
        #expect(Self.status.filtered(channel: "stable").silos.map(\.silo) == ["b", "c"])
        #expect(Self.status.filtered(channel: "stable").channels.map(\.channel) == ["stable"])
        #expect(Self.status.filtered(version: Fixture.v("1.1.0")).silos.map(\.silo) == ["b"])
        #expect(Self.status.filtered(state: .failed).silos.map(\.silo) == ["b"])
        // A stale silo counts as stale whatever it last reported.
        #expect(Self.status.filtered(state: .stale).silos.map(\.silo) == ["c"])
        #expect(Self.status.filtered(channel: "canary", state: .failed).silos.isEmpty)
    }

    @Test func oneSiloShowsItsErrorResourceAndEvents() throws {
        var report = Fixture.report("b", channel: "stable", state: .failed, target: "1.2.0", applied: "1.1.0", serial: 7)
        report.events = [StatusReport.Event(time: "2027-01-15T07:59:00Z", stack: "webapp-ingest", resource: "Queue",
                                            status: "UPDATE_FAILED", reason: "Resource limit exceeded")]
        let row = SiloRow(report, now: Fixture.now)
        let text = SiloView.render(row, pipeline: "webapp", color: false)
        #expect(text.contains("target    1.2.0 (serial 7)"))
        #expect(text.contains("error     UPDATE_ROLLBACK_COMPLETE: stack ingest failed"))
        #expect(text.contains("at fault  ingest"))
        #expect(text.contains("webapp-ingest  Queue     UPDATE_FAILED  Resource limit exceeded"))
        // The events are in --json too.
        let json = String(decoding: try JSONEncoder().encode(row), as: UTF8.self)
        #expect(json.contains("\"events\":[{") && json.contains("Resource limit exceeded"))
    }
}

/// Doubled words (issue 13): a refused silo's note said `refused: refused: ...`.
struct DoubledWordTests {
    @Test func aCodeThatRepeatsTheStateIsNotShownTwice() {
        let refused = Fixture.report("r", state: .refused,
                                     error: StatusReport.Failure(code: "refused", message: "the pointer was refused: bad"))
        let status = FleetStatus(pipeline: "webapp", now: Fixture.now, pointers: [], reports: [refused])
        let text = StatusView.render(status, color: false)
        #expect(text.contains("r refused: the pointer was refused: bad\n"), "\(text)")
        #expect(!text.contains("refused: refused"))
        let failed = Fixture.report("f", state: .failed)
        let other = StatusView.render(FleetStatus(pipeline: "webapp", now: Fixture.now, pointers: [], reports: [failed]),
                                      color: false)
        #expect(other.contains("f failed: UPDATE_ROLLBACK_COMPLETE: stack ingest failed (ingest)"), "\(other)")
    }
}

/// Key names next to ids in status and history.
struct KeyNameLabelTests {
    @Test func tablesShowTheNameNextToTheId() {
        let status = FleetStatus(pipeline: "webapp", now: Fixture.now,
                                 pointers: [Fixture.pointer("stable", serial: 2, version: "1.2.0")], reports: [])
        let short = shortKeyID(Fixture.key.id)
        let named = StatusView.render(status, color: false, names: KeyNames([Fixture.key.id: "release"]))
        #expect(named.contains("release (\(short))"), "\(named)")
        #expect(StatusView.render(status, color: false).contains(" \(short) "))
        let history = History(pipeline: "webapp", releases: [],
                              channels: [ChannelHistory(channel: "stable", moves: [Fixture.move(serial: 2, version: "1.2.0")],
                                                        problems: [])], pins: [])
        #expect(HistoryView.render(history, color: false, names: KeyNames([Fixture.key.id: "release"]))
            .contains("release (\(short))"))
    }
}

/// The console link of the one-silo view.
struct ConsoleLinkTests {
    static func row(_ silo: String, events: [StatusReport.Event]) -> SiloRow {
        var report = Fixture.report(silo, state: .failed)
        report.events = events
        return SiloRow(report, now: Fixture.now)
    }

    @Test func aSiloNamedByAccountAndRegionLinksTheFailingStack() {
        let events = [StatusReport.Event(time: "t1", stack: "webapp-db", status: "UPDATE_FAILED"),
                      StatusReport.Event(time: "t2", stack: "webapp-app", status: "UPDATE_COMPLETE")]
        #expect(SiloView.consoleLink(Self.row("123456789012-eu-west-1", events: events))
            == "https://eu-west-1.console.aws.amazon.com/cloudformation/home?region=eu-west-1#/stacks/stackinfo?"
            + "stackId=webapp-db (account 123456789012)")
        // Another naming scheme says nothing about the region: no link rather than a wrong one.
        #expect(SiloView.consoleLink(Self.row("silo-eu", events: events)) == nil)
        #expect(SiloView.consoleLink(Self.row("123456789012-eu-west-1", events: [])) == nil)
    }
}
