import Fleet
import Foundation
import Manifest
import Testing

/// Drift, waves and health in `ferry status` (table, one-silo view, JSON) and on the fleet page.
struct DriftAndWaveViewTests {
    static let checked = "2027-01-15T07:00:00Z"

    static func reports() -> [StatusReport] {
        var drifted = Fixture.report("silo-a", target: "1.2.0", applied: "1.2.0")
        drifted.wave = 0
        drifted.drift = StatusReport.Drift(mode: "report", checkedAt: checked, resources: [
            .init(stack: "webapp-app", resource: "Queue", type: "AWS::SQS::Queue", difference: "MODIFIED",
                  properties: ["/Properties/VisibilityTimeout NOT_EQUAL"]),
            .init(stack: "webapp-data", resource: "Topic", type: "AWS::SNS::Topic", difference: "DELETED"),
        ])
        var reverted = Fixture.report("silo-b", target: "1.2.0", applied: "1.2.0")
        reverted.wave = 1
        reverted.drift = StatusReport.Drift(mode: "revert", checkedAt: checked, resources: [
            .init(stack: "webapp-app", resource: "Queue", type: "AWS::SQS::Queue", difference: "MODIFIED"),
        ], revertedAt: checked)
        let plain = Fixture.report("silo-c", target: "1.2.0", applied: "1.2.0")
        return [drifted, reverted, plain]
    }

    static func status(_ reports: [StatusReport] = reports()) -> FleetStatus {
        FleetStatus(pipeline: "webapp", now: Fixture.now, pointers: [Fixture.pointer("canary", serial: 2, version: "1.2.0")],
                    reports: reports)
    }

    @Test func theTableHasWaveAndDriftColumnsOnlyWhenASiloReportsThem() {
        let text = StatusView.render(Self.status(), color: false)
        #expect(text.contains("SILO    CHANNEL  PINNED  TARGET  APPLIED  STATE    AGE  WAVE  DRIFT\n"))
        #expect(text.contains("silo-a  canary   no      1.2.0   1.2.0    in-sync  10s  1     2 drifted\n"))
        #expect(text.contains("silo-b  canary   no      1.2.0   1.2.0    in-sync  10s  2     reverted 1\n"))
        #expect(text.contains("silo-c  canary   no      1.2.0   1.2.0    in-sync  10s  -     -\n"))
        #expect(text.contains("silo-a in-sync: drift (checked \(Self.checked)): webapp-app/Queue MODIFIED, "
            + "webapp-data/Topic DELETED\n"))
        #expect(!text.contains("silo-b in-sync"))  // reverted: nothing to look at

        let plain = StatusView.render(Self.status([Fixture.report("silo-c")]), color: false)
        #expect(!plain.contains("WAVE") && !plain.contains("DRIFT"))
    }

    @Test func theOneSiloViewAndJSONCarryDrift() throws {
        let rows = Self.status().silos
        let view = SiloView.render(try #require(rows.first { $0.silo == "silo-b" }), pipeline: "webapp", color: false)
        #expect(view.contains("  wave      2\n"))
        #expect(view.contains("  drift     drift (checked \(Self.checked)), reverted \(Self.checked): webapp-app/Queue MODIFIED\n"))
        let json = String(decoding: try JSONEncoder().encode(rows[0]), as: UTF8.self)
        #expect(json.contains("\"drift\":{"))
        #expect(json.contains("\"wave\":0"))
        let decoded = try JSONDecoder().decode(SiloRow.self, from: Data(json.utf8))
        #expect(decoded.drift == Self.reports()[0].drift)
    }

    @Test func thePageShowsWaveAndDrift() {
        let html = FleetPage.render([FleetPageSection(status: Self.status(), moves: [])])
        #expect(html.contains("<th>Wave</th>") && html.contains("<th>Drift</th>"))
        #expect(html.contains("<td class=\"wave\">1</td>") && html.contains("<td class=\"wave\">2</td>"))
        #expect(html.contains("<span class=\"flag drifted\">drifted</span>"))
        #expect(html.contains("<span title=\"checked \(Self.checked)\" class=\"drifted\">2 drifted</span>"
            + "<br><i title=\"/Properties/VisibilityTimeout NOT_EQUAL\">webapp-app/Queue</i> AWS::SQS::Queue <b>MODIFIED</b>"))
        #expect(html.contains("<span title=\"checked \(Self.checked), reverted \(Self.checked)\">reverted 1</span>"))
        #expect(html.components(separatedBy: "flag drifted").count == 2)  // only silo-a is still drifted
        // The drift filter: what each row matches on, and its choices.
        #expect(html.contains("data-state=\"in-sync\" data-drift=\"drifted\" data-q=\"silo-a \""))
        #expect(html.contains("data-state=\"in-sync\" data-drift=\"in-sync\" data-q=\"silo-b \""))
        #expect(html.contains("data-state=\"in-sync\" data-drift=\"unchecked\" data-q=\"silo-c \""))
        #expect(html.contains("<select id=\"f-drift\" data-filter=\"drift\"><option value=\"\">all</option>"
            + "<option value=\"drifted\">drifted</option>"))
    }

    @Test func thePageAndTheOneSiloViewShowHealth() throws {
        var reports = Self.reports()
        reports[0].health = SiloHealth(state: .unhealthy, version: try SemVer("1.2.0"), bakeStartedAt: Self.checked,
                                       bakeSeconds: 600, alarms: ["webapp-errors"], watched: 2,
                                       reason: "webapp-errors is ALARM: Threshold Crossed")
        reports[1].health = SiloHealth(state: .baking, version: try SemVer("1.2.0"), bakeStartedAt: Self.checked,
                                       bakeSeconds: 600, watched: 2)
        let html = FleetPage.render([FleetPageSection(status: Self.status(reports), moves: [])])
        #expect(html.contains("<th>Wave</th><th>Health</th><th>State</th>"))
        #expect(html.contains("<td class=\"health\"><span class=\"h-unhealthy\" title=\"1.2.0: bake 10m from \(Self.checked), "
            + "2 alarms watched; webapp-errors is ALARM: Threshold Crossed\">unhealthy</span> <i>webapp-errors</i></td>"))
        #expect(html.contains("<td class=\"health\"><span class=\"h-baking\""))
        #expect(html.contains("<td class=\"health\">-</td>"))  // silo-c: no gate
        #expect(html.components(separatedBy: "flag unhealthy\"").count == 2)  // only silo-a
        let rows = Self.status(reports).silos
        let view = SiloView.render(try #require(rows.first { $0.silo == "silo-a" }), pipeline: "webapp", color: false)
        #expect(view.contains("  health    unhealthy on 1.2.0 (bake 10m from \(Self.checked), 2 alarms watched): "
            + "webapp-errors; webapp-errors is ALARM: Threshold Crossed\n"))
    }
}
