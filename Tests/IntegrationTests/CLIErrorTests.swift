import Foundation
import TestSupport
import Testing

/// How a command that fails while running ends, as a script and a person see it.
@Suite struct CLIErrorTests {
    /// With --json, the error is one JSON line on stdout (it used to be plain text only),
    /// and the message is on stderr too; the exit status is not 0.
    @Test func withJSONAFailureIsJSONOnStdout() throws {
        let dir = try TemporaryDirectory("ferry-cli-error")
        let run = try FerryProcess.run(["verify", dir.url("no-build"), "--trust", dir.url("missing.pub") + "=builder",
                                        "--json"])
        #expect(run.status == 1, "\(run.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let error = try #require(object?["error"] as? [String: String], "stdout: \(run.stdout)")
        #expect(error["message"] == "cannot read \(dir.url("missing.pub")): No such file or directory")
        #expect(error["code"] == "error" && error["type"] == "KeyFileError")
        #expect(run.stderr.contains("Error: cannot read \(dir.url("missing.pub"))"))
    }

    /// A subcommand's runtime error is not followed by the root command's usage, which says
    /// nothing about the subcommand; a parse error still shows the subcommand's own usage.
    @Test func aRuntimeErrorShowsNoRootUsageAndAParseErrorShowsTheSubcommands() throws {
        let dir = try TemporaryDirectory("ferry-cli-error")
        let run = try FerryProcess.run(["verify", dir.url("no-build"), "--trust", dir.url("missing.pub") + "=builder"])
        #expect(run.status == 1)
        #expect(run.stdout.isEmpty, "\(run.stdout)")
        #expect(!run.stderr.contains("Usage: ferry <subcommand>"), "\(run.stderr)")

        let parse = try FerryProcess.run(["verify", "--no-such-flag"])
        #expect(parse.status == 64, "\(parse.stderr)")
        #expect(parse.stderr.contains("Usage: ferry verify"), "\(parse.stderr)")
    }
}
