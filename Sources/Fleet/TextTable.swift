import Foundation

/// How a cell is shown on a colour terminal.
public enum CellStyle: Sendable, Equatable {
    case plain, bold, green, yellow, red, magenta, dim

    var ansi: String? {
        switch self {
        case .plain: nil
        case .bold: "\u{1B}[1m"
        case .green: "\u{1B}[32m"
        case .yellow: "\u{1B}[33m"
        case .red: "\u{1B}[31m"
        case .magenta: "\u{1B}[35m"
        case .dim: "\u{1B}[2m"
        }
    }

    /// `text` in this style, or as it is without colour.
    func apply(_ text: String, color: Bool) -> String {
        guard color, let ansi else { return text }
        return ansi + text + "\u{1B}[0m"
    }
}

/// A table of left-aligned columns two spaces apart, without trailing blanks. Widths are
/// measured on the text, so colour codes never shift a column.
public struct TextTable: Sendable {
    public struct Cell: Sendable {
        public var text: String
        public var style: CellStyle
        public init(_ text: String, _ style: CellStyle = .plain) {
            self.text = text
            self.style = style
        }
    }

    public var header: [String]
    public var rows: [[Cell]]

    public init(header: [String], rows: [[Cell]] = []) {
        self.header = header
        self.rows = rows
    }

    /// The table's lines (header first), each without a newline.
    public func lines(color: Bool) -> [String] {
        let all = [header.map { Cell($0, .bold) }] + rows
        var widths = Array(repeating: 0, count: header.count)
        for row in all {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.text.count)
            }
        }
        return all.map { row in
            var line = ""
            for (index, cell) in row.enumerated() where index < widths.count {
                let last = index == row.count - 1
                line += cell.style.apply(cell.text, color: color)
                if !last { line += String(repeating: " ", count: widths[index] - cell.text.count + 2) }
            }
            return line
        }
    }
}

/// Whether to colour output: only on a terminal, and never when `NO_COLOR` is set to
/// anything but the empty string (no-color.org). `TERM=dumb` means no colour too.
public func useColor(isTerminal: Bool, environment: [String: String]) -> Bool {
    guard isTerminal else { return false }
    if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return false }
    return environment["TERM"] != "dumb"
}

/// Ages and durations as people read them: `42s`, `5m`, `3h`, `2d` (rounded down).
public enum Age {
    public static func format(seconds: Int) -> String {
        switch seconds {
        case ..<60: "\(max(0, seconds))s"
        case ..<3600: "\(seconds / 60)m"
        case ..<86_400: "\(seconds / 3600)h"
        default: "\(seconds / 86_400)d"
        }
    }

    /// Parses `90s`, `10m`, `2h`, `1d`, or a bare number of seconds, into seconds.
    public static func parse(_ text: String) throws(FleetError) -> Int {
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        var digits = Substring(text)
        var unit = 1
        if let last = text.last, let factor = units[last] {
            digits = digits.dropLast()
            unit = factor
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(digits),
              value <= Int(Int32.max) / unit
        else {
            throw FleetError(.invalidInput, "'\(text)' is not a duration; write e.g. 90s, 10m, 2h or 1d")
        }
        return value * unit
    }
}
