import Foundation

/// A failed SQLite call: the C function, SQLite's result code and message
/// (`sqlite3_errmsg`), and the first words of the SQL it ran.
public struct SQLiteError: Error, Sendable, Hashable, CustomStringConvertible {
    /// SQLite's extended result code (`SQLITE_BUSY` = 5, `SQLITE_CONSTRAINT_UNIQUE` = 2067, ...).
    public let resultCode: Int32
    /// The C function that failed, e.g. `sqlite3_prepare_v2`.
    public let function: String
    /// SQLite's own message (`sqlite3_errmsg`), or what went wrong on the Swift side.
    public let message: String
    /// The first words of the statement, to tell which query failed without logging values.
    public let sql: String?

    public init(resultCode: Int32, function: String, message: String, sql: String?) {
        self.resultCode = resultCode
        self.function = function
        self.message = message
        self.sql = sql.map(Self.firstWords)
    }

    /// The primary result code (the low byte): `SQLITE_CONSTRAINT` = 19 for every constraint kind.
    public var primaryCode: Int32 { resultCode & 0xff }

    /// True when another connection held the lock longer than the busy timeout.
    public var isBusy: Bool { primaryCode == 5 || primaryCode == 6 }

    public var description: String {
        let statement = sql.map { " in \"\($0)\"" } ?? ""
        return "SQLite \(function) failed\(statement): \(message) (code \(resultCode))"
    }

    /// "INSERT INTO steps (a, b) VALUES ..." → "INSERT INTO steps (a, …": enough to find
    /// the statement, never the bound values.
    static func firstWords(_ sql: String) -> String {
        let words = sql.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" })
        let head = words.prefix(4).joined(separator: " ")
        return words.count > 4 ? head + " …" : head
    }
}

/// A value SQLite stores or returns. Integers, text, bytes and NULL are what Ferry's
/// journal uses; `real` is there for completeness of reading.
public enum SQLiteValue: Sendable, Hashable {
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)
    case null

    public var int64: Int64? { if case .integer(let value) = self { value } else { nil } }
    public var string: String? { if case .text(let value) = self { value } else { nil } }
    public var data: Data? { if case .blob(let value) = self { value } else { nil } }
    public var isNull: Bool { self == .null }
}

extension SQLiteValue: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral, ExpressibleByNilLiteral {
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(stringLiteral value: String) { self = .text(value) }
    public init(nilLiteral: ()) { self = .null }
}
