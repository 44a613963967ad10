// The one file of the SQLite module that calls SQLite. `Database` owns the connection,
// `Statement` owns a prepared statement; both free their handle in `deinit`.
internal import CSQLite
import Foundation

/// One SQLite connection, in WAL mode with a busy timeout, for Ferry's agent journal.
///
/// Not thread-safe by contract: use one `Database` per thread (several connections to
/// one file are fine; WAL lets readers run beside the writer).
public final class Database {
    private let handle: OpaquePointer
    /// The file this connection opened.
    public let path: String

    /// Opens (creating if needed) the database at `path`, switches it to WAL with
    /// `synchronous=FULL` (a committed step survives a power cut) and turns on
    /// foreign keys. `busyTimeoutMilliseconds` is how long a write waits for another
    /// connection's lock before failing with `SQLITE_BUSY`.
    /// The corresponding C functions are `sqlite3_open_v2` and `sqlite3_busy_timeout`.
    public init(path: String, busyTimeoutMilliseconds: Int32 = 5_000) throws(SQLiteError) {
        var connection: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX
        let result = sqlite3_open_v2(path, &connection, flags, nil)
        guard result == SQLITE_OK, let connection else {
            let message = connection.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(result))
            sqlite3_close_v2(connection)
            throw SQLiteError(resultCode: result, function: "sqlite3_open_v2", message: "\(message): \(path)", sql: nil)
        }
        handle = connection
        self.path = path
        sqlite3_extended_result_codes(connection, 1)
        sqlite3_busy_timeout(connection, busyTimeoutMilliseconds)
        try execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON")
    }

    deinit { sqlite3_close_v2(handle) }

    /// Runs one or more statements separated by `;`, without parameters or results
    /// (schema, pragmas). The corresponding C function is `sqlite3_exec`.
    public func execute(_ sql: String) throws(SQLiteError) {
        try check(sqlite3_exec(handle, sql, nil, nil, nil), "sqlite3_exec", sql)
    }

    /// Compiles one statement. The corresponding C function is `sqlite3_prepare_v2`.
    public func prepare(_ sql: String) throws(SQLiteError) -> Statement {
        var statement: OpaquePointer?
        try check(sqlite3_prepare_v2(handle, sql, -1, &statement, nil), "sqlite3_prepare_v2", sql)
        guard let statement else {
            throw SQLiteError(resultCode: SQLITE_MISUSE, function: "sqlite3_prepare_v2", message: "no statement in the SQL", sql: sql)
        }
        return Statement(statement, database: self, sql: sql)
    }

    /// Runs one statement with `values` bound to its `?` parameters, ignoring any rows.
    public func run(_ sql: String, _ values: [SQLiteValue] = []) throws(SQLiteError) {
        let statement = try prepare(sql)
        try statement.bind(values)
        while try statement.step() {}
    }

    /// Runs one query with `values` bound and returns every row.
    public func query(_ sql: String, _ values: [SQLiteValue] = []) throws(SQLiteError) -> [Row] {
        let statement = try prepare(sql)
        try statement.bind(values)
        return try statement.rows()
    }

    /// Runs `body` inside `BEGIN IMMEDIATE` … `COMMIT` (the write lock is taken at once,
    /// so a busy database fails here, not halfway). If `body` throws, or the commit
    /// fails, the transaction is rolled back and the error rethrown. Not reentrant.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            // SQLite may already have rolled back (e.g. on SQLITE_FULL): only roll back an open transaction.
            if sqlite3_get_autocommit(handle) == 0 { try? execute("ROLLBACK") }
            throw error
        }
    }

    /// The rowid of the last successful INSERT (`sqlite3_last_insert_rowid`).
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    fileprivate func check(_ result: Int32, _ function: String, _ sql: String?) throws(SQLiteError) {
        guard result == SQLITE_OK || result == SQLITE_ROW || result == SQLITE_DONE else {
            throw SQLiteError(resultCode: sqlite3_extended_errcode(handle), function: function,
                              message: String(cString: sqlite3_errmsg(handle)), sql: sql)
        }
    }
}

/// A row of a query's result: values by position or by column name.
public struct Row: Sendable, Hashable {
    public let columns: [String]
    public let values: [SQLiteValue]

    public subscript(index: Int) -> SQLiteValue { values[index] }

    /// The value of the column `name`; `.null` if there is no such column.
    public subscript(name: String) -> SQLiteValue {
        columns.firstIndex(of: name).map { values[$0] } ?? .null
    }
}

/// A prepared statement. It keeps its `Database` open while it lives.
public final class Statement {
    private let pointer: OpaquePointer
    private let database: Database
    private let sql: String

    fileprivate init(_ pointer: OpaquePointer, database: Database, sql: String) {
        self.pointer = pointer
        self.database = database
        self.sql = sql
    }

    deinit { sqlite3_finalize(pointer) }

    /// Resets the statement and binds `values` to its parameters, in order; the count
    /// must match. The corresponding C functions are `sqlite3_bind_int64`,
    /// `sqlite3_bind_text64`, `sqlite3_bind_blob64`, `sqlite3_bind_double`, `sqlite3_bind_null`.
    public func bind(_ values: [SQLiteValue]) throws(SQLiteError) {
        sqlite3_reset(pointer)
        sqlite3_clear_bindings(pointer)
        let expected = Int(sqlite3_bind_parameter_count(pointer))
        guard values.count == expected else {
            throw SQLiteError(resultCode: SQLITE_RANGE, function: "sqlite3_bind_parameter_count",
                              message: "the statement has \(expected) parameters, \(values.count) values given", sql: sql)
        }
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let result: Int32
            switch value {
            case .integer(let number): result = sqlite3_bind_int64(pointer, index, number)
            case .real(let number): result = sqlite3_bind_double(pointer, index, number)
            case .null: result = sqlite3_bind_null(pointer, index)
            case .text(var text):
                result = text.withUTF8 { utf8 in
                    utf8.withMemoryRebound(to: CChar.self) { chars in
                        // An empty buffer may have no address, which SQLite would bind as NULL.
                        guard let start = chars.baseAddress else {
                            return sqlite3_bind_text64(pointer, index, "", 0, ferry_sqlite_transient(), UInt8(SQLITE_UTF8))
                        }
                        return sqlite3_bind_text64(pointer, index, start, sqlite3_uint64(chars.count),
                                                   ferry_sqlite_transient(), UInt8(SQLITE_UTF8))
                    }
                }
            case .blob(let data):
                result = data.isEmpty
                    ? sqlite3_bind_zeroblob(pointer, index, 0)
                    : data.withUnsafeBytes { bytes in
                        sqlite3_bind_blob64(pointer, index, bytes.baseAddress, sqlite3_uint64(bytes.count), ferry_sqlite_transient())
                    }
            }
            try database.check(result, "sqlite3_bind", sql)
        }
    }

    /// Advances to the next row: true when a row is ready, false when the statement is
    /// done. The corresponding C function is `sqlite3_step`.
    public func step() throws(SQLiteError) -> Bool {
        let result = sqlite3_step(pointer)
        try database.check(result, "sqlite3_step", sql)
        return result == SQLITE_ROW
    }

    /// The number of columns in each row (`sqlite3_column_count`).
    public var columnCount: Int { Int(sqlite3_column_count(pointer)) }

    /// The value of column `index` (0-based) of the current row (`sqlite3_column_*`).
    public func column(_ index: Int) -> SQLiteValue {
        let column = Int32(index)
        switch sqlite3_column_type(pointer, column) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(pointer, column))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(pointer, column))
        case SQLITE_TEXT:
            let count = Int(sqlite3_column_bytes(pointer, column))
            guard let text = sqlite3_column_text(pointer, column) else { return .text("") }
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(pointer, column))
            guard let bytes = sqlite3_column_blob(pointer, column), count > 0 else { return .blob(Data()) }
            return .blob(Data(bytes: bytes, count: count))
        default: return .null
        }
    }

    /// Steps to the end and returns every row.
    public func rows() throws(SQLiteError) -> [Row] {
        let names = (0..<columnCount).map { String(cString: sqlite3_column_name(pointer, Int32($0))) }
        var rows: [Row] = []
        while try step() {
            rows.append(Row(columns: names, values: (0..<names.count).map(column)))
        }
        return rows
    }
}
