import Foundation
import Manifest

/// One pipeline on the fleet page: what `ferry status --json` says of it, and the moves of
/// its channels (`ferry history`) for the timeline.
public struct FleetPageSection: Sendable, Equatable {
    public var status: FleetStatus
    public var moves: [PointerMove]

    public init(status: FleetStatus, moves: [PointerMove]) {
        self.status = status
        self.moves = moves
    }
}

/// `ferry status --html FILE`: one self-contained page (inline CSS and a little JS, no
/// network) of pipelines × channels × silos, with a timeline of channel moves and filters
/// by channel, version, state and text. Built from the same `FleetStatus` as `--json`;
/// every string from the bucket is escaped. Rows are plain table rows so that 1,000 silos
/// load at once; the filter only toggles their `hidden` attribute. Pure.
public enum FleetPage {
    /// The page. `names` labels signer key ids; `refreshSeconds` (from `--watch`) makes the
    /// browser reload the file that often.
    public static func render(_ sections: [FleetPageSection], names: [KeyID: String] = [:],
                              refreshSeconds: Int? = nil) -> String {
        let silos = sections.flatMap(\.status.silos)
        let channels = Set(silos.map(\.channel)).union(sections.flatMap { $0.status.channels.map(\.channel) }).sorted()
        let versions = Set(silos.flatMap { [$0.target, $0.applied].compactMap { $0 } }).sorted(by: >)
        let now = sections.first?.status.now ?? ""
        var html = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">

        """
        if let refreshSeconds { html += "<meta http-equiv=\"refresh\" content=\"\(refreshSeconds)\">\n" }
        html += "<title>Ferry fleet \(escape(sections.map(\.status.pipeline).joined(separator: ", ")))</title>\n"
        html += "<style>\(FleetPageAssets.css)</style></head>\n<body>\n"
        html += "<header><h1>Ferry fleet</h1><p class=\"when\">at \(escape(now))"
            + (refreshSeconds.map { " · rewritten every \($0)s" } ?? "") + "</p>"
        html += "<p id=\"summary\">\(escape(summary(silos)))</p></header>\n"
        html += filters(channels: channels, versions: versions)
        for section in sections { html += render(section, names: names) }
        html += "<script>\(FleetPageAssets.script)</script>\n</body></html>\n"
        return html
    }

    static func filters(channels: [String], versions: [SemVer]) -> String {
        func select(_ name: String, _ label: String, _ values: [String]) -> String {
            "<label>\(label) <select id=\"f-\(name)\" data-filter=\"\(name)\"><option value=\"\">all</option>"
                + values.map { "<option value=\"\(escape($0))\">\(escape($0))</option>" }.joined() + "</select></label>"
        }
        return "<nav id=\"filters\">" + select("channel", "Channel", channels)
            + select("version", "Version", versions.map(\.description))
            + select("state", "State", SiloCondition.allCases.map(\.rawValue))
            + select("drift", "Drift", ["drifted", "in-sync", "unchecked"])
            + "<label>Search <input id=\"f-q\" data-filter=\"q\" type=\"search\" placeholder=\"silo or account\"></label>"
            + "<span id=\"shown\"></span></nav>\n"
    }

    static func render(_ section: FleetPageSection, names: [KeyID: String]) -> String {
        let status = section.status
        let now = Timestamp.parse(status.now) ?? Date()
        let expiring = Dictionary(status.channels.compactMap { head in head.expiryWarning(now: now).map { (head.channel, $0) } },
                                  uniquingKeysWith: { a, _ in a })
        var html = "<section class=\"pipeline\" data-pipeline=\"\(escape(status.pipeline))\">"
            + "<h2>\(escape(status.pipeline))</h2>\n"
        html += status.warnings.map { "<p class=\"warning\">\(escape($0))</p>\n" }.joined()
        html += status.unreadable.map { "<p class=\"unreadable\">unreadable report: \(escape($0))</p>\n" }.joined()
        html += "<table class=\"channels\"><thead><tr><th>Channel</th><th>Version</th><th>Serial</th><th>Moved</th>"
            + "<th>By</th><th>Reason</th><th>Expires</th></tr></thead><tbody>\n"
        for head in status.channels {
            html += "<tr data-channel=\"\(escape(head.channel))\"><td>\(escape(head.channel))</td>"
                + "<td class=\"version\">\(escape(head.version.description))</td><td>\(head.serial)</td>"
                + "<td>\(escape(head.issuedAt))</td><td>\(signer(head.issuedBy, names: names))</td>"
                + "<td>\(escape(head.reason))</td>"
                + "<td\(expiring[head.channel] == nil ? "" : " class=\"expiring\"")>\(escape(head.expiresAt ?? "never"))</td></tr>\n"
        }
        html += "</tbody></table>\n"
        html += "<table class=\"silos\"><thead><tr><th>Silo</th><th>Account</th><th>Channel</th><th>Target</th>"
            + "<th>Applied</th><th>Wave</th><th>Health</th><th>State</th><th>Age</th><th>Flags</th><th>Last failure</th><th>Drift</th>"
            + "</tr></thead><tbody>\n"
        for row in status.silos { html += siloRow(row, expiring: expiring[row.channel] != nil) }
        html += "</tbody></table>\n"
        html += timeline(section.moves, names: names)
        return html + "</section>\n"
    }

    static func siloRow(_ row: SiloRow, expiring: Bool) -> String {
        let account = account(of: row.silo)
        let states = row.conditions.sorted().map(\.rawValue).joined(separator: " ")
        let versions = [row.target, row.applied].compactMap { $0?.description }
        var flags: [String] = []
        if row.stale { flags.append("<span class=\"flag stale\">stale</span>") }
        if row.pinned { flags.append("<span class=\"flag pinned\">pinned</span>") }
        if expiring { flags.append("<span class=\"flag expiring\">channel expiring</span>") }
        if row.drift?.isDrifted == true { flags.append("<span class=\"flag drifted\">drifted</span>") }
        if row.health?.state == .unhealthy { flags.append("<span class=\"flag unhealthy\">unhealthy</span>") }
        var failure = ""
        if let error = row.error, row.reportedState != .inSync {
            failure = "<b>\(escape(error.code))</b>" + (error.resource.map { " <i>\(escape($0))</i>" } ?? "")
                + ": \(escape(error.message))"
        }
        return "<tr class=\"silo\" data-channel=\"\(escape(row.channel))\" data-version=\"\(escape(versions.joined(separator: " ")))\" "
            + "data-state=\"\(states)\" data-drift=\"\(driftState(row))\" data-q=\"\(escape((row.silo + " " + (account ?? "")).lowercased()))\">"
            + "<td class=\"name\">\(escape(row.silo))</td><td>\(escape(account ?? "-"))</td>"
            + "<td>\(escape(row.channel))</td><td>\(escape(row.target?.description ?? "-"))</td>"
            + "<td>\(escape(row.applied?.description ?? "-"))</td>"
            + "<td class=\"wave\">\(row.wave.map { String($0 + 1) } ?? "-")</td><td class=\"health\">\(health(row))</td>"
            + "<td class=\"state s-\(row.reportedState.rawValue)\">\(row.reportedState.rawValue)</td>"
            + "<td>\(Age.format(seconds: row.ageSeconds))</td><td>\(flags.joined(separator: " "))</td>"
            + "<td class=\"failure\">\(failure)</td><td class=\"drift\">\(drift(row))</td></tr>\n"
    }

    /// The health cell under a channel's health gate: the state of the release it judged,
    /// the bake in the tooltip, and the alarms that made it unhealthy (or that it waits for).
    static func health(_ row: SiloRow) -> String {
        guard let health = row.health else { return "-" }
        let title = "\(health.version): bake \(Age.format(seconds: health.bakeSeconds)) from \(health.bakeStartedAt), "
            + "\(health.watched) alarms watched" + (health.reason.map { "; \($0)" } ?? "")
        return "<span class=\"h-\(health.state.rawValue)\" title=\"\(escape(title))\">\(health.state.rawValue)</span>"
            + (health.alarms.isEmpty ? "" : " " + health.alarms.map { "<i>\(escape($0))</i>" }.joined(separator: ", "))
    }

    /// What the drift filter matches: `drifted` (drift still there), `in-sync` (checked:
    /// none, or reverted), `unchecked` (the agent does not detect drift).
    static func driftState(_ row: SiloRow) -> String {
        guard let drift = row.drift else { return "unchecked" }
        return drift.isDrifted ? "drifted" : "in-sync"
    }

    /// The drift cell: a summary, each drifted resource with its difference in the tooltip.
    static func drift(_ row: SiloRow) -> String {
        guard let drift = row.drift, let summary = row.driftSummary else { return "-" }
        let title = "checked \(drift.checkedAt)" + (drift.revertedAt.map { ", reverted \($0)" } ?? "")
            + (drift.error.map { "; \($0)" } ?? "")
        return "<span title=\"\(escape(title))\"\(drift.isDrifted ? " class=\"drifted\"" : "")>\(escape(summary))</span>"
            + drift.resources.map { resource in
                "<br><i title=\"\(escape((resource.properties ?? []).joined(separator: "\n")))\">"
                    + "\(escape(resource.stack))/\(escape(resource.resource))</i> \(escape(resource.type)) "
                    + "<b>\(escape(resource.difference))</b>"
            }.joined()
    }

    static func timeline(_ moves: [PointerMove], names: [KeyID: String]) -> String {
        guard !moves.isEmpty else { return "<p class=\"timeline empty\">no channel has moved yet</p>\n" }
        let sorted = moves.sorted { ($0.issuedAt, $0.serial, $0.channel) > ($1.issuedAt, $1.serial, $1.channel) }
        return "<h3>Channel moves</h3><ol class=\"timeline\">\n" + sorted.map { move in
            "<li data-channel=\"\(escape(move.channel))\"><time>\(escape(move.issuedAt))</time> "
                + "<b>\(escape(move.channel))</b> → <span class=\"version\">\(escape(move.version.description))</span> "
                + "(serial \(move.serial)) by \(signer(move.issuedBy, names: names)): \(escape(move.reason))</li>\n"
        }.joined() + "</ol>\n"
    }

    /// `name (7c1f9d2e04ab)` or the short id; the full id in the tooltip.
    static func signer(_ id: KeyID, names: [KeyID: String]) -> String {
        let short = shortKeyID(id)
        let text = names[id].map { "\($0) (\(short))" } ?? short
        return "<span class=\"key\" title=\"\(id.hex)\">\(escape(text))</span>"
    }

    /// The AWS account a silo named `<account id>-<region>` (the agent's default) runs in.
    static func account(of silo: String) -> String? {
        let digits = silo.prefix { $0.isASCII && $0.isNumber }
        guard digits.count == 12, silo.count == 12 || silo.dropFirst(12).first == "-" else { return nil }
        return String(digits)
    }

    static func summary(_ silos: [SiloRow]) -> String {
        let counts = SiloCondition.allCases.compactMap { condition -> String? in
            let count = silos.count { $0.condition == condition }
            return count > 0 ? "\(count) \(condition.rawValue)" : nil
        }
        return "\(silos.count) silo\(silos.count == 1 ? "" : "s")" + (counts.isEmpty ? "" : ": " + counts.joined(separator: ", "))
    }

    /// `text` safe in HTML text and in a quoted attribute.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
