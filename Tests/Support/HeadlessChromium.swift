import Foundation

/// Debian's `chromium`, headless: loads a page from a file, runs its script, and gives back
/// the DOM as it then is (`--dump-dom`) or a PNG (`--screenshot`). scripts/setup installs it.
public struct HeadlessChromium {
    public let binary: String
    let profile: TemporaryDirectory

    public init() throws {
        let candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        guard let binary = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw MissingEnvironment(variable: "PATH", what: "chromium (the Debian package; scripts/setup installs it)")
        }
        self.binary = binary
        profile = try TemporaryDirectory("ferry-chromium")
    }

    /// The DOM of `url` after its scripts ran on load.
    public func dumpDOM(_ url: String) throws -> String {
        try run(["--dump-dom", url]).stdout
    }

    /// Saves a `width`×`height` screenshot of `url` to `path`.
    public func screenshot(_ url: String, to path: String, width: Int = 1280, height: Int = 800) throws {
        try run(["--screenshot=\(path)", "--window-size=\(width),\(height)", "--hide-scrollbars", url])
        guard FileManager.default.fileExists(atPath: path) else {
            throw TestHelperNotReady(what: "chromium's screenshot \(path)", stderr: "")
        }
    }

    /// The flags every run needs here: headless, no sandbox (tests may run as root in a
    /// container), no GPU, a throwaway profile, and nothing fetched from the network.
    @discardableResult
    func run(_ arguments: [String]) throws -> FerryRun {
        let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                     "--disable-background-networking", "--user-data-dir=\(profile.path)"]
        return try FerryProcess.run(program: binary, flags + arguments,
                                    environment: ["HOME": profile.path, "PATH": "/usr/bin:/bin"]).check()
    }

    /// Where a test keeps what it shows (screenshots): `FERRY_TEST_OUTPUT`, else
    /// `.ferry-run/test-output` in the package.
    public static func outputFolder() throws -> String {
        let folder = ProcessInfo.processInfo.environment["FERRY_TEST_OUTPUT"]
            ?? TestEnvironment.packageRoot + "/.ferry-run/test-output"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }
}

/// The silo rows of a dumped fleet page: each silo's name and whether it is shown.
public enum FleetPageDOM {
    public struct Row: Equatable, Sendable {
        public let silo: String
        public let visible: Bool
        public let html: String
    }

    public static func rows(_ dom: String) -> [Row] {
        dom.components(separatedBy: "<tr class=\"silo\"").dropFirst().map { chunk in
            let row = String(chunk.prefix { $0 != "\n" }.split(separator: "</tr>").first ?? "")
            let open = String(row.prefix { $0 != ">" })
            let name = row.components(separatedBy: "<td class=\"name\">").dropFirst().first?
                .components(separatedBy: "</td>").first ?? ""
            return Row(silo: name, visible: !open.contains(" hidden"), html: row)
        }
    }

    /// An attribute of `<body>` (`data-shown`, `data-ready-ms`).
    public static func bodyAttribute(_ name: String, in dom: String) -> String? {
        guard let body = dom.components(separatedBy: "<body").dropFirst().first?.prefix(while: { $0 != ">" }),
              let start = body.range(of: name + "=\"") else { return nil }
        return String(body[start.upperBound...].prefix { $0 != "\"" })
    }
}
