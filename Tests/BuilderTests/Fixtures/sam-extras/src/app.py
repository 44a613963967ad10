def handler(event, context):
    return "global"
