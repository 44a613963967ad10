// Manifest: see README.md, "Architecture".
