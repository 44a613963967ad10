print("glue job")
