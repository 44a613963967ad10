// HTTP: see README.md, "Architecture".
