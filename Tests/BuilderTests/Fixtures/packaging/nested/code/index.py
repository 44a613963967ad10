def handler(event, context):
    return {"from": "child"}
