def handler(event, context):
    return {"from": "app"}
