import ArgumentParser
import Fleet
import Foundation
import Manifest

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `--wait [--timeout 10m]` of `ferry rollback`, `promote` and `pin`.
struct WaitOptions: ParsableArguments {
    @Flag(help: ArgumentHelp(
        "Follow the status reports until every silo concerned is in sync on the new version.",
        discussion: "Progress goes to stderr, one line per change. Exits non-zero if a silo fails or time runs out; the move stands either way."))
    var wait = false

    @Option(help: ArgumentHelp("How long --wait waits: 90s, 10m, 1h.", valueName: "duration"))
    var timeout = "10m"

    @Option(name: .customLong("poll-interval"), help: .hidden)
    var pollInterval = "5s"

    func validate() throws {
        do {
            _ = try Age.parse(timeout)
            _ = try Age.parse(pollInterval)
        } catch {
            throw ValidationError(error.message)
        }
    }

    /// Waits for `goal` if `--wait` was given; nil otherwise.
    func run(_ onCall: OnCall, pipeline: String, goal: ConvergenceGoal) throws -> Convergence.Snapshot? {
        guard wait else { return nil }
        let watcher = ConvergenceWatcher(
            read: { () throws(FleetError) in try onCall.statuses(pipeline: pipeline).reports },
            progress: Output.note)
        return try watcher.wait(for: goal, timeout: try Age.parse(timeout), every: Double(try Age.parse(pollInterval)))
    }
}

/// Output shared by the on-call commands: results on stdout, progress on stderr.
enum FleetOutput {
    /// Whether stdout is a terminal that wants colour (NO_COLOR honoured).
    static var color: Bool {
        useColor(isTerminal: isatty(STDOUT_FILENO) != 0, environment: ProcessInfo.processInfo.environment)
    }

    /// Prints `value` as JSON (sorted keys, indented) on stdout.
    static func json<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// What `--json` says about a wait.
    struct WaitResult: Encodable {
        var converged: [String]
        var skipped: [String]

        init(_ snapshot: Convergence.Snapshot) {
            converged = snapshot.silos.filter { $0.stage == .done }.map(\.silo)
            skipped = snapshot.silos.filter { $0.stage == .skipped }.map(\.silo)
        }
    }
}

/// A non-empty `--reason`, on one line.
func checkReason(_ reason: String?, required: Bool) throws {
    guard let reason else {
        if required { throw ValidationError("--reason is required: say why, it is recorded in the audit trail") }
        return
    }
    if reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
        throw ValidationError("--reason must say why: it is recorded in the audit trail")
    }
}

/// Parses a `--to` version.
func parseVersion(_ text: String, option: String = "--to") throws -> SemVer {
    do {
        return try SemVer(versionOrTag: text)
    } catch {
        throw ValidationError("\(option) \(text): \(error.message)")
    }
}

/// `--trust FILE.pub[=ROLES]` on `status` and `history`: the public key files whose names
/// (`ferry keys generate --name`) label key ids, `oncall (7c1f9d2e04ab)`. Default:
/// FERRY_TRUST, whose files are read quietly (one that cannot be read just names nothing).
struct KeyNameOptions: ParsableArguments {
    @Option(name: .customLong("trust"), help: ArgumentHelp(
        "A public key file whose name labels its key id (repeat; roles after = are ignored). Default: FERRY_TRUST.",
        valueName: "file.pub"))
    var trust: [String] = []

    func names() throws -> KeyNames {
        let explicit = !trust.isEmpty
        let arguments = explicit ? trust : (ProcessInfo.processInfo.environment["FERRY_TRUST"] ?? "")
            .split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        var names: [KeyID: String] = [:]
        for argument in arguments {
            let path = String(argument.split(separator: "=", maxSplits: 1).first ?? "")
            do {
                let key = try PublicKey(fileContents: try KeyFileIO.read(path))
                if let name = key.name { names[key.id] = name }
            } catch {
                if explicit { throw KeyFileError(description: "\(path): \(error)") }
            }
        }
        return KeyNames(names)
    }
}
