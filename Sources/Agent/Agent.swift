// Agent: see README.md, "Architecture".
