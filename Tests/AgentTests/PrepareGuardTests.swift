import Agent
import Foundation
import Testing
import TestSupport

/// A release whose preparing kills the agent is refused after `maxAttempts` deaths, not
/// read again in a crash loop.
@Suite struct PrepareGuardTests {
    @Test func aTargetTheAgentDiedOnThreeTimesIsRefused() throws {
        let directory = try TemporaryDirectory("ferry-guard")
        let crashes = PrepareGuard(path: directory.url("releases/.preparing"))
        // Three starts that died while preparing (begin without end).
        for _ in 0..<PrepareGuard.maxAttempts { try crashes.begin("webapp 1.0.0 serial 1") }
        do {
            try crashes.begin("webapp 1.0.0 serial 1")
            Issue.record("a fourth attempt was allowed")
        } catch {
            #expect(error.code == .refused && error.message.contains("crash in a loop"))
        }
        #expect(!FileManager.default.fileExists(atPath: crashes.path))
    }

    @Test func anEndedOrOtherTargetStartsAfresh() throws {
        let directory = try TemporaryDirectory("ferry-guard")
        let crashes = PrepareGuard(path: directory.url("releases/.preparing"))
        for _ in 0..<5 {
            try crashes.begin("webapp 1.0.0 serial 1")
            crashes.end()
        }
        try crashes.begin("webapp 1.0.0 serial 1")
        try crashes.begin("webapp 1.0.0 serial 1")
        try crashes.begin("webapp 1.1.0 serial 2")  // another target: its own count
        try crashes.begin("webapp 1.1.0 serial 2")
        #expect(try String(contentsOfFile: crashes.path, encoding: .utf8) == "webapp 1.1.0 serial 2\n2\n")
    }
}
