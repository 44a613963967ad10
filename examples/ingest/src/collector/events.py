"""The decisions of the collector, without AWS: which events are valid, what a raw record
looks like, and how records are batched for Firehose.

An event as sent to POST /events:
  {"id": "<uuid or other 8-64 chars>", "type": "order_placed", "source": "web",
   "occurredAt": "2024-06-01T12:00:00Z" | 1717243200000, "attributes": {"k": "v"}}
The body is one event, or {"events": [ ... up to MAX_EVENTS ... ]}.
"""

import base64
import binascii
import datetime
import json
import re
from dataclasses import dataclass

# The raw record's columns, in the Glue table's order (lake.yaml RawEventsTable).
RAW_COLUMNS = (
    ("event_id", "string"),
    ("event_type", "string"),
    ("source", "string"),
    ("occurred_at_ms", "bigint"),
    ("received_at_ms", "bigint"),
    ("attributes", "map<string,string>"),
)

MAX_BODY_BYTES = 256 * 1024
MAX_EVENTS = 500                 # PutRecordBatch's limit per call
MAX_ATTRIBUTES = 32
MAX_ATTRIBUTE_CHARS = 256
MAX_FUTURE_SKEW_MS = 5 * 60 * 1000
MAX_AGE_MS = 7 * 24 * 3600 * 1000
EVENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{7,63}")
NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
EVENT_KEYS = frozenset({"id", "type", "source", "occurredAt", "attributes"})


class BodyError(Exception):
    """The whole request is refused (HTTP 400/413), with a message for the sender."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Rejected:
    index: int
    reason: str


def parse_body(body: str | None, is_base64: bool = False) -> list:
    """The events of a request body: one event object, or {"events": [...]}."""
    if not body:
        raise BodyError(400, "send one event or {\"events\": [...]} as JSON")
    if is_base64:
        try:
            raw = base64.b64decode(body, validate=True)
        except binascii.Error:
            raise BodyError(400, "the body is not valid base64") from None
    else:
        raw = body.encode("utf-8")
    if len(raw) > MAX_BODY_BYTES:
        raise BodyError(413, f"send at most {MAX_BODY_BYTES} bytes per request")
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BodyError(400, "the body is not JSON") from None
    if isinstance(data, dict) and set(data) == {"events"}:
        events = data["events"]
        if not isinstance(events, list) or not events:
            raise BodyError(400, "\"events\" must be a non-empty list")
    elif isinstance(data, dict):
        events = [data]
    else:
        raise BodyError(400, "send one event object or {\"events\": [...]}")
    if len(events) > MAX_EVENTS:
        raise BodyError(413, f"send at most {MAX_EVENTS} events per request")
    return events


def occurred_ms(value) -> int:
    """Milliseconds since the epoch from an ISO 8601 string with zone, or an integer."""
    if isinstance(value, bool):
        raise ValueError("occurredAt must be a timestamp")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value[:-1] + "+00:00" if value.endswith("Z") else value
        moment = datetime.datetime.fromisoformat(text)
        if moment.tzinfo is None:
            raise ValueError("occurredAt needs a time zone (e.g. 2024-06-01T12:00:00Z)")
        return int(moment.timestamp() * 1000)
    raise ValueError("occurredAt must be an ISO 8601 string or epoch milliseconds")


def raw_record(event, received_at_ms: int) -> dict:
    """The raw record of one event, or ValueError saying what is wrong with it."""
    if not isinstance(event, dict):
        raise ValueError("an event must be a JSON object")
    unknown = sorted(set(event) - EVENT_KEYS)
    if unknown:
        raise ValueError(f"unknown fields {unknown}")
    event_id = event.get("id")
    if not isinstance(event_id, str) or not EVENT_ID.fullmatch(event_id):
        raise ValueError("id must be 8-64 letters, digits, '_' or '-'")
    for key in ("type", "source"):
        value = event.get(key)
        if not isinstance(value, str) or not NAME.fullmatch(value):
            raise ValueError(f"{key} must be a lower-case name like order_placed")
    occurred = occurred_ms(event.get("occurredAt"))
    if occurred > received_at_ms + MAX_FUTURE_SKEW_MS:
        raise ValueError("occurredAt is in the future")
    if occurred < received_at_ms - MAX_AGE_MS:
        raise ValueError("occurredAt is more than 7 days old; send a backfill instead")
    attributes = event.get("attributes", {})
    if not isinstance(attributes, dict) or len(attributes) > MAX_ATTRIBUTES:
        raise ValueError(f"attributes must be an object of at most {MAX_ATTRIBUTES} entries")
    for key, value in attributes.items():
        if not NAME.fullmatch(key) or not isinstance(value, str) or len(value) > MAX_ATTRIBUTE_CHARS:
            raise ValueError(f"attribute {key!r} must be a name with a string value "
                             f"of at most {MAX_ATTRIBUTE_CHARS} characters")
    return {
        "event_id": event_id,
        "event_type": event["type"],
        "source": event["source"],
        "occurred_at_ms": occurred,
        "received_at_ms": received_at_ms,
        "attributes": dict(attributes),
    }


def validate(events: list, received_at_ms: int) -> tuple[list[dict], list[Rejected]]:
    """Records of the valid events, and why each invalid one was rejected (by index)."""
    records, rejected = [], []
    for index, event in enumerate(events):
        try:
            records.append(raw_record(event, received_at_ms))
        except ValueError as problem:
            rejected.append(Rejected(index, str(problem)))
    return records, rejected


def firehose_records(records: list[dict]) -> list[dict]:
    """PutRecordBatch entries: one newline-terminated JSON document per record."""
    return [{"Data": (json.dumps(r, sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8")}
            for r in records]
