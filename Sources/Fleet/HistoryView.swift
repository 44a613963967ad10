import Foundation
import Manifest

/// `ferry history` as text: the releases, then each channel's moves, then the pins. Pure.
public enum HistoryView {
    public static func render(_ history: History, color: Bool, names: KeyNames = KeyNames()) -> String {
        var lines: [String] = [CellStyle.bold.apply("releases of \(history.pipeline)", color: color)]
        if history.releases.isEmpty {
            lines.append("none published")
        } else {
            lines += TextTable(header: ["VERSION", "COMMIT", "TAG", "CREATED", "TESTS", "SUBJECT"], rows: history.releases.map {
                if let problem = $0.problem {
                    return [.init($0.version.description), .init("-"), .init("-"), .init("-"), .init("-"),
                            .init(problem, .red)]
                }
                return [.init($0.version.description), .init(String(($0.commit ?? "-").prefix(12))),
                        .init($0.tag ?? "-"), .init($0.createdAt ?? "-"), .init($0.testsSummary),
                        .init(oneLine($0.subject ?? ""))]
            }).lines(color: color)
        }
        for channel in history.channels {
            lines.append("")
            lines.append(CellStyle.bold.apply("channel \(channel.channel)", color: color))
            lines += moveTable(channel.moves, names: names).lines(color: color)
            lines += channel.problems.map { CellStyle.red.apply("unreadable: ", color: color) + $0 }
        }
        if !history.pins.isEmpty {
            lines.append("")
            lines.append(CellStyle.bold.apply("pins", color: color))
            lines += pinTable(history.pins, names: names).lines(color: color)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func moveTable(_ moves: [PointerMove], names: KeyNames) -> TextTable {
        TextTable(header: ["SERIAL", "VERSION", "SIGNED BY", "TIME", "REASON"], rows: moves.map {
            [.init(String($0.serial)), .init($0.version.description), .init(names.label($0.issuedBy)),
             .init($0.issuedAt), .init(oneLine($0.reason))]
        })
    }

    static func pinTable(_ pins: [PinMove], names: KeyNames) -> TextTable {
        TextTable(header: ["SILO", "SERIAL", "VERSION", "SIGNED BY", "TIME", "REASON"], rows: pins.map {
            if $0.removed {
                return [.init($0.silo), .init("-"), .init("-"), .init("-"), .init($0.time), .init("unpinned", .dim)]
            }
            return [.init($0.silo), .init($0.serial.map(String.init) ?? "-"), .init($0.version?.description ?? "-"),
                    .init($0.issuedBy.map(names.label) ?? "-"), .init($0.time),
                    .init(oneLine($0.reason ?? "unreadable pin"))]
        })
    }
}
