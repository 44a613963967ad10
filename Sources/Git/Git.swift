// Git: see README.md, "Architecture".
