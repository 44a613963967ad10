// Builder: see README.md, "Architecture".
