import Fleet
import Foundation
import Manifest
import TestSupport
import Testing

/// `ferry status --html` on moto, opened in headless Chromium: the DOM after the page's own
/// script ran, its filters, and a screenshot kept with the test output.
struct FleetPageBrowserTests {
    static let injected = "<script>document.title='pwned'</script>"

    @Test func theFleetPageShowsEverySiloAndFiltersInTheBrowser() throws {
        let world = try FleetWorld()
        try world.publish("1.1.0", channel: "canary")
        try world.point("stable", to: "1.1.0")
        try world.publish("1.2.0", channel: "canary")
        try world.report("111111111111-us-east-1", channel: "canary", target: "1.2.0", applied: "1.2.0", wave: 0,
                         drift: StatusReport.Drift(mode: "report", checkedAt: Timestamp.format(Date())))
        try world.report("silo-drifted", channel: "canary", target: "1.2.0", applied: "1.2.0", wave: 1,
                         drift: StatusReport.Drift(mode: "report", checkedAt: Timestamp.format(Date()), resources: [
                             .init(stack: "ferry-app", resource: "Queue", type: "AWS::SQS::Queue", difference: "MODIFIED",
                                   properties: ["/Properties/VisibilityTimeout NOT_EQUAL"]),
                         ]))
        try world.report("silo-deploying", channel: "canary", state: .deploying, target: "1.2.0", applied: "1.1.0")
        try world.report("silo-failed", channel: "canary", state: .failed, target: "1.2.0", applied: "1.1.0",
                         error: StatusReport.Failure(code: "UPDATE_ROLLBACK_COMPLETE",
                                                     message: "Bucket: " + Self.injected, resource: "DataBucket"))
        try world.report("silo-refused", channel: "canary", state: .refused, target: "1.2.0", applied: "1.1.0",
                         error: StatusReport.Failure(code: "badSignature", message: "the pointer's signature does not verify"))
        try world.report("silo-stale", channel: "stable", target: "1.1.0", applied: "1.1.0", age: 5 * 3600)
        try world.report("silo-pinned", channel: "stable", target: "1.0.0", applied: "1.0.0", pinned: true)

        let page = world.dir.url("out/fleet.html")
        try FileManager.default.createDirectory(atPath: world.dir.url("out"), withIntermediateDirectories: true)
        let run = try world.ferry("status", "webapp", "--html", page)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == page + "\n")
        // Written whole, by rename: no temporary file is left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: world.dir.url("out")) == ["fleet.html"])

        let chromium = try HeadlessChromium()
        let url = URL(fileURLWithPath: page).absoluteString
        let all = try chromium.dumpDOM(url)
        let rows = FleetPageDOM.rows(all)
        #expect(rows.map(\.silo) == ["111111111111-us-east-1", "silo-deploying", "silo-drifted", "silo-failed",
                                     "silo-pinned", "silo-refused", "silo-stale"])
        #expect(rows.filter(\.visible).count == 7)
        #expect(FleetPageDOM.bodyAttribute("data-shown", in: all) == "7")
        // The injected script is text on the page, never run.
        #expect(all.contains("<title>Ferry fleet webapp</title>"))
        #expect(all.components(separatedBy: "<script").count == 2)
        let failed = try #require(rows.first { $0.silo == "silo-failed" })
        #expect(failed.html.contains("<b>UPDATE_ROLLBACK_COMPLETE</b> <i>DataBucket</i>: Bucket: "
            + "&lt;script&gt;document.title='pwned'&lt;/script&gt;"))
        #expect(failed.html.contains("<td class=\"state s-failed\">failed</td>"))
        let stale = try #require(rows.first { $0.silo == "silo-stale" })
        #expect(stale.html.contains("<span class=\"flag stale\">stale</span>"))
        #expect(try #require(rows.first { $0.silo == "silo-pinned" }).html.contains("flag pinned"))
        // Waves (1-based) and drift, from the reports.
        let drifted = try #require(rows.first { $0.silo == "silo-drifted" })
        #expect(drifted.html.contains("<td class=\"wave\">2</td>"))
        #expect(drifted.html.contains("<span class=\"flag drifted\">drifted</span>"))
        #expect(drifted.html.contains("<i title=\"/Properties/VisibilityTimeout NOT_EQUAL\">ferry-app/Queue</i> "
            + "AWS::SQS::Queue <b>MODIFIED</b>"))
        let checked = try #require(rows.first { $0.silo == "111111111111-us-east-1" })
        #expect(checked.html.contains("<td class=\"wave\">1</td>") && checked.html.contains(">in sync</span>"))
        // The timeline: three moves, newest first, with the signer and the reason.
        let timeline = all.components(separatedBy: "<ol class=\"timeline\">").last ?? ""
        #expect(timeline.components(separatedBy: "<li").count == 4)
        #expect(timeline.contains("publish 1.2.0") && timeline.contains(shortKeyID(ReleaseFixture.releaseKey.id)))

        // The filters, from the fragment the page's script applies on load.
        func visible(_ fragment: String) throws -> [String] {
            FleetPageDOM.rows(try chromium.dumpDOM(url + "#" + fragment)).filter(\.visible).map(\.silo)
        }
        #expect(try visible("state=failed") == ["silo-failed"])
        #expect(try visible("state=stale") == ["silo-stale"])
        #expect(try visible("channel=stable") == ["silo-pinned", "silo-stale"])
        #expect(try visible("version=1.1.0&state=deploying") == ["silo-deploying"])
        #expect(try visible("q=111111111111") == ["111111111111-us-east-1"])
        #expect(try visible("state=misconfigured").isEmpty)
        #expect(try visible("drift=drifted") == ["silo-drifted"])
        #expect(try visible("drift=unchecked&channel=canary") == ["silo-deploying", "silo-failed", "silo-refused"])

        let screenshot = try HeadlessChromium.outputFolder() + "/fleet-page.png"
        try chromium.screenshot(url, to: screenshot, width: 1200, height: 560)
        let png = try Data(contentsOf: URL(fileURLWithPath: screenshot))
        #expect(png.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        print("fleet page screenshot: \(screenshot)")
    }

    @Test func aPageThatCannotBeWrittenSaysSoAndLeavesNothing() throws {
        let world = try FleetWorld()
        try world.publish("1.0.0", channel: "stable")
        let missing = world.dir.url("no-such-folder/fleet.html")
        let run = try world.ferry("status", "webapp", "--html", missing)
        #expect(run.status == 1)
        #expect(run.stderr.contains("cannot write \(missing)") && run.stderr.contains("check that its folder exists"))
        #expect(run.stdout.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: world.dir.url("no-such-folder")))
        let folder = try world.ferry("status", "webapp", "--html", world.dir.path + "/")
        #expect(folder.status == 64 && folder.stderr.contains("give a file name"))
    }

    /// A thousand silos: every row is in the DOM and the filter applies to all of them. The
    /// time the page took to be ready is printed for docs/benchmarks.md, not asserted.
    @Test func aThousandSilosLoadAndFilter() throws {
        let now = Date()
        let states: [StatusReport.State] = [.inSync, .inSync, .inSync, .deploying, .failed]
        let reports = (0..<1000).map { index in
            let state = states[index % states.count]
            return StatusReport(
                pipeline: "webapp", silo: String(format: "%012d-eu-west-1", 100_000_000_000 + index), channel: "stable",
                target: try! SemVer("1.2.0"), applied: try! SemVer(state == .inSync ? "1.2.0" : "1.1.0"), state: state,
                error: state == .failed ? .init(code: "UPDATE_ROLLBACK_COMPLETE", message: "stack app failed", resource: "app")
                    : nil,
                reportedAt: Timestamp.format(now), intervalSeconds: 30)
        }
        let status = FleetStatus(pipeline: "webapp", now: now, pointers: [], reports: reports)
        let folder = try TemporaryDirectory("ferry-page")
        let html = FleetPage.render([FleetPageSection(status: status, moves: [])])
        let page = try folder.write("fleet.html", html)
        let chromium = try HeadlessChromium()
        let url = URL(fileURLWithPath: page).absoluteString
        let started = Date()
        let dom = try chromium.dumpDOM(url)
        let wall = Date().timeIntervalSince(started)
        #expect(FleetPageDOM.rows(dom).count == 1000)
        #expect(FleetPageDOM.bodyAttribute("data-shown", in: dom) == "1000")
        let failed = FleetPageDOM.rows(try chromium.dumpDOM(url + "#state=failed")).filter(\.visible)
        #expect(failed.count == 200)
        print("fleet page, 1000 silos: \(html.utf8.count) bytes; ready \(FleetPageDOM.bodyAttribute("data-ready-ms", in: dom) ?? "?") ms "
            + "after navigation start; chromium --dump-dom \(Int(wall * 1000)) ms wall")
    }
}
