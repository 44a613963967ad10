// Bucket: see README.md, "Architecture".
