import ArgumentParser
import Foundation

/// Where `ferry bootstrap` finds stacksets/ferry-silo.yaml when `--template` is not given,
/// so that it works from any folder: `FERRY_SILO_TEMPLATE`, used as given like
/// `--template`; else the first that exists of the current folder's `stacksets/`, an
/// installed copy beside the binary (`BIN/../share/ferry/`), and the checkout the binary
/// was built in (`.build/<triple>/<config>/ferry` → the checkout's `stacksets/`).
enum SiloTemplate {
    static let name = "ferry-silo.yaml"

    static func locate(given: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
                       executable: String = executablePath,
                       exists: (String) -> Bool = { FileManager.default.isReadableFile(atPath: $0) }) throws -> String {
        if let given { return given }
        if let path = environment["FERRY_SILO_TEMPLATE"], !path.isEmpty { return path }
        let places = candidates(executable: executable)
        if let found = places.first(where: exists) { return found }
        throw ValidationError("cannot find \(name); looked in: \(places.joined(separator: ", ")). "
            + "Pass --template PATH/\(name) or set FERRY_SILO_TEMPLATE")
    }

    /// The running binary (`/proc/self/exe`: `argv[0]` may be a bare name found on PATH).
    static var executablePath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    static func candidates(executable: String) -> [String] {
        var places = ["stacksets/" + name]
        let binary = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        places.append(binary.appendingPathComponent("../share/ferry/" + name).standardized.path)
        // .build[-NAME]/<triple>/<config>/ferry in a checkout: the checkout's stacksets/.
        let parts = binary.standardized.path.split(separator: "/", omittingEmptySubsequences: false)
        if let build = parts.lastIndex(where: { $0 == ".build" || $0.hasPrefix(".build-") || $0.hasPrefix(".build_") }) {
            places.append(parts[..<build].joined(separator: "/") + "/stacksets/" + name)
        }
        return places
    }
}
