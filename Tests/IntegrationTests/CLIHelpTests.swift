import Foundation
import TestSupport
import Testing

/// `--help` as a new user reads it: every command, at every level, shows examples, and
/// help is help (stdout, exit 0), never an error.
@Suite struct CLIHelpTests {
    /// The subcommand names under `SUBCOMMANDS:` of a help text.
    static func subcommands(of help: String) -> [String] {
        guard let start = help.range(of: "SUBCOMMANDS:\n") else { return [] }
        return help[start.upperBound...].split(separator: "\n").compactMap { line in
            guard line.hasPrefix("  "), !line.hasPrefix("   "), !line.contains("See '") else { return nil }
            return line.split(separator: " ").first.map(String.init)
        }
    }

    @Test func everyCommandsHelpHasExamplesAndIsNotAnError() throws {
        var pending: [[String]] = [[]]
        var seen = 0
        while let path = pending.popLast() {
            let run = try FerryProcess.run(path + ["--help"])
            #expect(run.status == 0, "\(path): \(run.stderr)")
            #expect(!run.stdout.hasPrefix("Error") && !run.stderr.contains("Error:"), "\(path): \(run.stderr)")
            let children = Self.subcommands(of: run.stdout)
            if children.isEmpty {
                seen += 1
                #expect(run.stdout.contains("Example"), "ferry \(path.joined(separator: " ")) --help has no example")
            }
            pending += children.map { path + [$0] }
        }
        #expect(seen >= 18, "only \(seen) commands found")
    }
}
