import Fleet
import Foundation
import Manifest
import Testing

/// The fleet page's HTML, without a browser (the browser test is in IntegrationTests).
struct FleetPageTests {
    static let hostile = "<script>alert('x')</script>"

    func section(_ reports: [StatusReport], pointers: [Pointer] = [Fixture.pointer("canary", serial: 2, version: "1.2.0")],
                 pipeline: String = "webapp") -> FleetPageSection {
        let status = FleetStatus(pipeline: pipeline, now: Fixture.now, pointers: pointers, reports: reports)
        let moves = pointers.compactMap { PointerMove($0, objectVersionId: "v\($0.serial)") }
        return FleetPageSection(status: status, moves: moves)
    }

    @Test func everyStringFromTheBucketIsEscaped() {
        var report = Fixture.report("silo-a", state: .failed,
                                    error: StatusReport.Failure(code: "E<1>", message: Self.hostile, resource: "\"r&"))
        report.silo = Self.hostile
        report.channel = "c\"onary"
        let pointer = Fixture.pointer("canary", serial: 3, version: "1.2.0", reason: Self.hostile)
        let html = FleetPage.render([section([report], pointers: [pointer], pipeline: "p<b>")])
        // Only the page's own script element; the hostile text is there as text.
        #expect(html.components(separatedBy: "<script").count == 2)
        #expect(!html.contains("alert('x')"))
        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"))
        #expect(html.contains("<b>E&lt;1&gt;</b> <i>&quot;r&amp;</i>"))
        #expect(html.contains("data-channel=\"c&quot;onary\""))
        #expect(html.contains("<h2>p&lt;b&gt;</h2>") && !html.contains("<h2>p<b>"))
    }

    @Test func aRowCarriesWhatTheFiltersMatchOn() {
        let reports = [
            Fixture.report("111122223333-eu-west-1", state: .failed, target: "1.2.0", applied: "1.1.0", age: 500),
            Fixture.report("silo-b", channel: "stable", target: "1.1.0", applied: "1.1.0", pinned: true),
        ]
        let html = FleetPage.render([section(reports)])
        #expect(html.contains("<tr class=\"silo\" data-channel=\"canary\" data-version=\"1.2.0 1.1.0\" "
            + "data-state=\"failed stale\" data-drift=\"unchecked\" data-q=\"111122223333-eu-west-1 111122223333\">"))
        #expect(html.contains("<td>111122223333</td>"))  // the account, from the agent's default silo name
        #expect(html.contains("<td class=\"state s-failed\">failed</td>"))
        #expect(html.contains("<span class=\"flag stale\">stale</span>"))
        #expect(html.contains("<tr class=\"silo\" data-channel=\"stable\" data-version=\"1.1.0 1.1.0\" "
            + "data-state=\"in-sync\" data-drift=\"unchecked\" data-q=\"silo-b \"><td class=\"name\">silo-b</td><td>-</td>"))
        #expect(html.contains("<span class=\"flag pinned\">pinned</span>"))
        #expect(html.contains("<b>UPDATE_ROLLBACK_COMPLETE</b> <i>ingest</i>: stack ingest failed"))
        // The filters offer what the fleet has.
        #expect(html.contains("<option value=\"canary\">canary</option><option value=\"stable\">stable</option>"))
        #expect(html.contains("<option value=\"1.2.0\">1.2.0</option><option value=\"1.1.0\">1.1.0</option>"))
        #expect(html.contains("<p id=\"summary\">2 silos: 1 in-sync, 1 stale</p>"))
    }

    @Test func theTimelineNamesSignersAndReasonsNewestFirst() {
        let pointers = [Fixture.pointer("canary", serial: 1, version: "1.0.0", reason: "first"),
                        Fixture.pointer("canary", serial: 2, version: "1.1.0", reason: "second")]
        let named = FleetPage.render([section([], pointers: pointers)], names: [Fixture.key.id: "release"])
        let short = shortKeyID(Fixture.key.id)
        let timeline = named.components(separatedBy: "<ol class=\"timeline\">").last ?? ""
        #expect(timeline.components(separatedBy: "<li").count == 3)
        #expect(timeline.range(of: ": second")!.lowerBound < timeline.range(of: ": first")!.lowerBound)
        #expect(named.contains("(serial 2) by <span class=\"key\" title=\"\(Fixture.key.id.hex)\">release (\(short))</span>: second"))
        let unnamed = FleetPage.render([section([], pointers: pointers)])
        #expect(unnamed.contains("\">\(short)</span>: first"))
    }

    @Test func anExpiringChannelIsFlaggedOnItsSilos() {
        let soon = Timestamp.format(Fixture.now.addingTimeInterval(2 * 86_400))
        let pointer = Fixture.pointer("canary", serial: 2, version: "1.2.0", expiresAt: soon)
        let html = FleetPage.render([section([Fixture.report("silo-a")], pointers: [pointer])])
        #expect(html.contains("<span class=\"flag expiring\">channel expiring</span>"))
        #expect(html.contains("<td class=\"expiring\">\(soon)</td>"))
        #expect(html.contains("<p class=\"warning\">channel canary expires at \(soon)"))
        let later = Fixture.pointer("canary", serial: 2, version: "1.2.0",
                                    expiresAt: Timestamp.format(Fixture.now.addingTimeInterval(20 * 86_400)))
        #expect(!FleetPage.render([section([Fixture.report("silo-a")], pointers: [later])]).contains("channel expiring"))
    }

    @Test func severalPipelinesAndWatchRefresh() {
        let html = FleetPage.render([section([Fixture.report("a")], pipeline: "one"), section([], pipeline: "two")],
                                    refreshSeconds: 15)
        #expect(html.contains("<meta http-equiv=\"refresh\" content=\"15\">"))
        #expect(html.contains("data-pipeline=\"one\"") && html.contains("data-pipeline=\"two\""))
        #expect(!FleetPage.render([section([])]).contains("http-equiv"))
        #expect(!html.contains("http://") && !html.contains("https://"))  // nothing from the network
    }
}
