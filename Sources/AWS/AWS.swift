// AWS: see README.md, "Architecture".
