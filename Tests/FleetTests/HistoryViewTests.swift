import Fleet
import Foundation
import Manifest
import Testing

/// `ferry history` as text: releases, each channel's moves newest first, pins.
struct HistoryViewTests {
    typealias F = Fixture

    @Test func theHistoryIsOneTablePerSection() throws {
        var manifest = Manifest(pipeline: "webapp", version: F.v("1.2.0"), createdAt: "2027-01-10T00:00:00Z",
                                source: .init(repository: "app", commit: "abcdef0123456789abcdef0123456789abcdef01",
                                              tag: "v1.2.0", author: "A <a@example.com>", subject: "Add ingest"))
        manifest.tests = [.init(name: "unit", command: "make test", exitStatus: 0, durationMs: 10),
                          .init(name: "lint", command: "make lint", exitStatus: 0, durationMs: 5)]
        let history = History(
            pipeline: "webapp",
            releases: [ReleaseEntry(manifest), ReleaseEntry(version: F.v("1.1.0"), problem: "the manifest cannot be read: bad")],
            channels: [ChannelHistory(channel: "stable", moves: [
                PointerMove(F.pointer(serial: 1, version: "1.2.0", reason: "publish"), objectVersionId: "a")!,
                PointerMove(F.pointer(serial: 2, version: "1.1.0", reason: "rollback:\nsecond line"), objectVersionId: "b")!,
            ])],
            pins: [PinMove(silo: "silo-eu", removed: true, time: "2027-01-05T10:00:00Z", objectVersionId: "d"),
                   PinMove(silo: "silo-eu", removed: false, serial: 1, version: F.v("1.1.0"), issuedBy: F.key.id,
                           reason: "hold", time: "2027-01-04T09:00:00Z", objectVersionId: "c")])
        let k = String(F.key.id.hex.prefix(12))
        #expect(HistoryView.render(history, color: false) == """
            releases of webapp
            VERSION  COMMIT        TAG     CREATED               TESTS     SUBJECT
            1.2.0    abcdef012345  v1.2.0  2027-01-10T00:00:00Z  2 passed  Add ingest
            1.1.0    -             -       -                     -         the manifest cannot be read: bad

            channel stable
            SERIAL  VERSION  SIGNED BY     TIME                  REASON
            2       1.1.0    \(k)  2027-01-02T00:00:00Z  rollback: second line
            1       1.2.0    \(k)  2027-01-01T00:00:00Z  publish

            pins
            SILO     SERIAL  VERSION  SIGNED BY     TIME                  REASON
            silo-eu  -       -        -             2027-01-05T10:00:00Z  unpinned
            silo-eu  1       1.1.0    \(k)  2027-01-04T09:00:00Z  hold

            """)
    }

    @Test(arguments: [
        ([Manifest.TestRun](), "none"),
        ([.init(name: "a", command: "a", exitStatus: 0, durationMs: 1)], "1 passed"),
        ([.init(name: "a", command: "a", exitStatus: 0, durationMs: 1), .init(name: "b", command: "b", exitStatus: 2, durationMs: 1)],
         "1 of 2 failed"),
    ])
    func testsAreSummed(tests: [Manifest.TestRun], summary: String) {
        var entry = ReleaseEntry(version: F.v("1.0.0"), problem: "")
        entry.tests = tests
        #expect(entry.testsSummary == summary)
    }
}
