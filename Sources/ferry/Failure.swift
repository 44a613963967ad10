import ArgumentParser
import Foundation

/// How a command that was parsed but failed while running ends: the error's message on
/// stderr (without the root command's usage, which says nothing about the subcommand
/// that failed), and with `--json` also one JSON line on stdout,
/// `{"error":{"code":"...","message":"...","type":"..."}}` (`code`: the error's own code,
/// else `usage` or `error`), so that a script reading
/// stdout gets JSON whether the command worked or not. Exit status as ArgumentParser
/// gives it: 64 for a usage error, the `ExitCode` thrown, else 1.
enum Failure {
    static func exit(_ error: any Error, json: Bool) -> Never {
        // Help, --version and an ExitCode thrown on purpose end as ArgumentParser ends them.
        if error is ExitCode || Ferry.exitCode(for: error) == .success { Ferry.exit(withError: error) }
        let message = Ferry.message(for: error)
        Output.note("Error: " + message)
        if json, let line = try? Output.jsonLine(["error": object(for: error, message: message)]) { print(line) }
        Ferry.exit(withError: ExitCode(Ferry.exitCode(for: error).rawValue))
    }

    /// The JSON form of `error`: its `code` when it has one (every Ferry error does).
    static func object(for error: any Error, message: String) -> [String: String] {
        var object = ["message": message, "type": String(describing: type(of: error))]
        if let code = Mirror(reflecting: error).children.first(where: { $0.label == "code" })?.value {
            object["code"] = (code as? any RawRepresentable).map { "\($0.rawValue)" } ?? "\(code)"
        } else {
            object["code"] = error is ValidationError ? "usage" : "error"
        }
        return object
    }
}
