def main(event, context):
    return "single file"
