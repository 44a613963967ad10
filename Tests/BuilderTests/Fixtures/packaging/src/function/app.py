from lib.util import greet


def handler(event, context):
    return greet(event.get("name", "world"))
