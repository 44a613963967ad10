// Fleet: see README.md, "Architecture".
