import Foundation
import SQLite
import TestSupport
import Testing

private struct Boom: Error {}

private func journal(_ folder: TemporaryDirectory) throws -> Database {
    let database = try Database(path: folder.url("journal.sqlite"))
    try database.execute("CREATE TABLE steps (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, body BLOB, note TEXT)")
    return database
}

@Suite struct DatabaseTests {
    @Test func bindingRoundTrip() throws {
        let folder = try TemporaryDirectory()
        let database = try journal(folder)
        let bytes = Data([0, 1, 2, 255, 0, 42])
        let cases: [(String, Data?, String?)] = [
            ("plain", bytes, "note"),
            ("ünïcödé ✓ \u{0}inside", Data(), ""),
            ("nulls", nil, nil),
        ]
        for (name, body, note) in cases {
            try database.run("INSERT INTO steps (name, body, note) VALUES (?, ?, ?)",
                             [.text(name), body.map(SQLiteValue.blob) ?? nil, note.map(SQLiteValue.text) ?? nil])
        }
        try database.run("INSERT INTO steps (id, name) VALUES (?, ?)", [.integer(Int64.max), "max"])
        #expect(database.lastInsertRowID == Int64.max)

        let rows = try database.query("SELECT id, name, body, note FROM steps ORDER BY id")
        #expect(rows.count == 4)
        #expect(rows[0]["name"] == .text("plain") && rows[0]["body"] == .blob(bytes) && rows[0]["note"] == "note")
        #expect(rows[1]["name"].string == "ünïcödé ✓ \u{0}inside")
        #expect(rows[1]["body"] == .blob(Data()) && rows[1]["note"] == .text(""))
        #expect(rows[2]["body"].isNull && rows[2]["note"].isNull)
        #expect(rows[3][0].int64 == Int64.max && rows[3]["name"] == "max")
    }

    @Test func transactionCommitsAndRollsBackOnThrow() throws {
        let folder = try TemporaryDirectory()
        let database = try journal(folder)
        let count = { try database.query("SELECT count(*) FROM steps")[0][0].int64 }

        let id = try database.transaction {
            try database.run("INSERT INTO steps (name) VALUES (?)", ["kept"])
            return database.lastInsertRowID
        }
        #expect(id == 1)
        #expect(throws: Boom.self) {
            try database.transaction {
                try database.run("INSERT INTO steps (name) VALUES (?)", ["lost"])
                #expect(try count() == 2)  // visible inside the transaction
                throw Boom()
            }
        }
        #expect(try count() == 1)
        // A failing statement inside rolls back the earlier ones too.
        #expect(throws: SQLiteError.self) {
            try database.transaction {
                try database.run("INSERT INTO steps (name) VALUES (?)", ["also lost"])
                try database.run("INSERT INTO steps (name) VALUES (?)", ["kept"])  // UNIQUE violation
            }
        }
        #expect(try database.query("SELECT name FROM steps").map { $0["name"] } == ["kept"])
        // Another connection sees only committed data.
        let other = try Database(path: folder.url("journal.sqlite"))
        #expect(try other.query("SELECT count(*) FROM steps")[0][0] == 1)
    }

    @Test func errorsCarrySQLiteMessageAndTheStatement() throws {
        let folder = try TemporaryDirectory()
        let database = try journal(folder)
        try database.run("INSERT INTO steps (name) VALUES ('a')")
        let unique = try #require(throws: SQLiteError.self) {
            try database.run("INSERT INTO steps (name, note) VALUES (?, ?)", ["a", "secret value"])
        }
        #expect(unique.function == "sqlite3_step")
        #expect(unique.message == "UNIQUE constraint failed: steps.name")
        #expect(unique.resultCode == 2067)  // SQLITE_CONSTRAINT_UNIQUE
        #expect(unique.sql == "INSERT INTO steps (name, …")
        #expect(!unique.description.contains("secret value"))

        let syntax = try #require(throws: SQLiteError.self) { try database.query("SELEC name FROM steps") }
        #expect(syntax.function == "sqlite3_prepare_v2")
        #expect(syntax.message.contains("syntax error"))
        #expect(syntax.description.contains("\"SELEC name FROM steps\""))

        let arity = try #require(throws: SQLiteError.self) { try database.run("INSERT INTO steps (name) VALUES (?)", []) }
        #expect(arity.message.contains("1 parameters, 0 values"))
    }

    @Test func opensInWALModeAndFailsClearlyOnABadPath() throws {
        let folder = try TemporaryDirectory()
        let database = try journal(folder)
        #expect(try database.query("PRAGMA journal_mode")[0][0] == "wal")
        let error = try #require(throws: SQLiteError.self) { try Database(path: folder.url("no/such/folder/db.sqlite")) }
        #expect(error.function == "sqlite3_open_v2")
        #expect(error.message.contains("unable to open database file"))
    }

    @Test func busyWriterTimesOut() throws {
        let folder = try TemporaryDirectory()
        let first = try journal(folder)
        let second = try Database(path: folder.url("journal.sqlite"), busyTimeoutMilliseconds: 50)
        try first.execute("BEGIN IMMEDIATE")
        let error = try #require(throws: SQLiteError.self) { try second.transaction { } }
        #expect(error.isBusy)
        try first.execute("ROLLBACK")
        try second.transaction { try second.run("INSERT INTO steps (name) VALUES ('now')") }
        #expect(try first.query("SELECT name FROM steps")[0]["name"] == "now")
    }
}
