// Archive: see README.md, "Architecture".
