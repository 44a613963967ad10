// SQLite: see README.md, "Architecture".
