import SQLite

/// The journal's tables, one migration per schema version (`PRAGMA user_version`).
/// Never edit a shipped migration: add the next one.
enum JournalSchema {
    static let migrations: [String] = [
        // 1: documents, releases, stacks, deployments in flight, step log, last report.
        """
        CREATE TABLE documents (
            pipeline TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('channel', 'pin')),
            name TEXT NOT NULL,
            serial INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            etag TEXT,
            version TEXT NOT NULL,
            manifest_sha256 TEXT NOT NULL,
            bundle_sha256 TEXT NOT NULL,
            expires_at TEXT,
            removed INTEGER NOT NULL DEFAULT 0,
            accepted_at TEXT NOT NULL,
            PRIMARY KEY (pipeline, kind)
        );
        CREATE TABLE releases (
            pipeline TEXT NOT NULL,
            source TEXT NOT NULL,
            serial INTEGER NOT NULL,
            version TEXT NOT NULL,
            manifest_sha256 TEXT NOT NULL,
            bundle_sha256 TEXT NOT NULL,
            folder TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('deploying', 'applied', 'failed', 'superseded')),
            started_at TEXT NOT NULL,
            finished_at TEXT,
            finished_seq INTEGER,
            failure TEXT,
            events TEXT NOT NULL DEFAULT '[]',
            PRIMARY KEY (pipeline, source, serial)
        );
        CREATE TABLE stacks (
            pipeline TEXT NOT NULL,
            stack TEXT NOT NULL,
            digest TEXT NOT NULL,
            record TEXT NOT NULL,
            applied_at TEXT NOT NULL,
            PRIMARY KEY (pipeline, stack)
        );
        CREATE TABLE deployments (
            pipeline TEXT PRIMARY KEY,
            state TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE steps (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            pipeline TEXT NOT NULL,
            source TEXT,
            serial INTEGER,
            version TEXT,
            stack TEXT,
            step TEXT NOT NULL,
            phase TEXT NOT NULL CHECK (phase IN ('begin', 'end')),
            detail TEXT NOT NULL DEFAULT '',
            time TEXT NOT NULL
        );
        CREATE INDEX steps_by_pipeline ON steps (pipeline, id);
        CREATE TABLE reports (
            pipeline TEXT PRIMARY KEY,
            body BLOB NOT NULL,
            written_at TEXT NOT NULL
        );
        """,
        // 2: a deployment in flight names its attempt (issue 13: change set names differ
        // between attempts). One begun by schema 1 keeps its names: an empty attempt.
        """
        UPDATE deployments SET state = json_set(state, '$.attempt', '') WHERE json_extract(state, '$.attempt') IS NULL;
        """,
        // 3: one accepted document per channel and per silo (issue 12: a silo switched to
        // another channel and back kept only the last channel's serial, one row per kind).
        """
        CREATE TABLE documents_by_name (
            pipeline TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('channel', 'pin')),
            name TEXT NOT NULL,
            serial INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            etag TEXT,
            version TEXT NOT NULL,
            manifest_sha256 TEXT NOT NULL,
            bundle_sha256 TEXT NOT NULL,
            expires_at TEXT,
            removed INTEGER NOT NULL DEFAULT 0,
            accepted_at TEXT NOT NULL,
            PRIMARY KEY (pipeline, kind, name)
        );
        INSERT INTO documents_by_name SELECT pipeline, kind, name, serial, sha256, etag, version, manifest_sha256,
            bundle_sha256, expires_at, removed, accepted_at FROM documents;
        DROP TABLE documents;
        ALTER TABLE documents_by_name RENAME TO documents;
        """,
        // 4: a channel pointer's rollout block (issue 14), as JSON; NULL without one.
        """
        ALTER TABLE documents ADD COLUMN rollout TEXT;
        """,
    ]

    /// The schema version this ferry writes.
    static var current: Int64 { Int64(migrations.count) }

    /// Brings `database` from its `user_version` to `current`, one transaction per version.
    /// Refuses a journal written by a newer ferry.
    static func migrate(_ database: Database) throws {
        let found = try version(of: database)
        guard found <= current else {
            throw AgentError(.journal, "the journal \(database.path) has schema version \(found), newer than this "
                + "ferry's \(current); upgrade ferry (or move the state folder aside)", next: .needsPerson)
        }
        for index in Int(found)..<migrations.count {
            try database.transaction {
                try database.execute(migrations[index])
                try database.execute("PRAGMA user_version = \(index + 1)")
            }
        }
    }

    static func version(of database: Database) throws -> Int64 {
        try database.query("PRAGMA user_version").first?[0].int64 ?? 0
    }
}
