import ArgumentParser
import Fleet
import Foundation
import Manifest

/// `ferry status --format openmetrics` (`FleetMetrics`), and
/// `ferry status --html FILE [--watch SECONDS]`: the fleet page (`FleetPage`), written
/// whole to a temporary file beside FILE and renamed over it, so a browser never reads
/// half a page.
struct StatusPageOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Write a self-contained HTML page of the fleet to this file (open it in a browser) instead of the table.",
        valueName: "file"))
    var html: String?

    @Option(help: ArgumentHelp("text (the table), or openmetrics: fleet-level gauges for a scrape from CI.",
                               valueName: "format"))
    var format = "text"

    /// Whether this group, not the table, answers: `--html` or `--format openmetrics`.
    var answers: Bool { html != nil || format == "openmetrics" }

    func validate() throws {
        guard ["text", "openmetrics"].contains(format) else {
            throw ValidationError("--format \(format): give text or openmetrics")
        }
        if let html, html.isEmpty || html.hasSuffix("/") {
            throw ValidationError("--html \(html): give a file name, e.g. --html fleet.html")
        }
    }

    /// Writes the page of `pipelines` once, or every `watch` seconds (the command's
    /// `--watch`) until interrupted.
    func run(_ onCall: OnCall, pipelines: [String], names: [KeyID: String] = [:], watch: Int? = nil) throws {
        guard let html else {
            let now = Date()
            var statuses: [FleetStatus] = []
            for pipeline in pipelines { statuses.append(try onCall.status(pipeline: pipeline, now: now)) }
            print(FleetMetrics.render(statuses), terminator: "")
            return
        }
        try write(onCall, pipelines: pipelines, names: names, refreshSeconds: watch, to: html)
        print(html)
        guard let watch else { return }
        fflush(nil)
        Output.note("rewriting \(html) every \(watch)s; Ctrl-C stops")
        while true {
            sleep(UInt32(watch))
            do {
                try write(onCall, pipelines: pipelines, names: names, refreshSeconds: watch, to: html)
            } catch {
                // The page keeps its last good contents; the next pass tries again.
                Output.note("ferry status --html: \(error); \(html) keeps the page of the last good read")
            }
        }
    }

    func write(_ onCall: OnCall, pipelines: [String], names: [KeyID: String], refreshSeconds: Int?,
               to path: String) throws {
        var sections: [FleetPageSection] = []
        let now = Date()
        for pipeline in pipelines {
            let status = try onCall.status(pipeline: pipeline, now: now)
            var moves: [PointerMove] = []
            for head in status.channels {
                moves += try onCall.channelHistory(pipeline: pipeline, channel: head.channel).moves
            }
            sections.append(FleetPageSection(status: status, moves: moves))
        }
        let page = FleetPage.render(sections, names: names, refreshSeconds: refreshSeconds)
        try AtomicFile.write(Data(page.utf8), to: path)
    }
}

/// A file replaced in one step: written to `.NAME.tmp-PID` beside it, then renamed.
enum AtomicFile {
    static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        do {
            try data.write(to: temporary)
            if rename(temporary.path, url.path) != 0 {
                throw PageFileError(description: "cannot replace \(path): \(String(cString: strerror(errno)))")
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            if error is PageFileError { throw error }
            throw PageFileError(description: "cannot write \(path): \(error.localizedDescription); check that its "
                + "folder exists and is writable")
        }
    }
}

struct PageFileError: Error, CustomStringConvertible {
    let description: String
}
