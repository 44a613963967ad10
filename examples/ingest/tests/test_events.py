"""The collector's decisions: request bodies, event validation, Firehose records."""

import base64
import json
import unittest

import support  # noqa: F401  (puts the collector source on sys.path)
from events import (
    MAX_BODY_BYTES,
    MAX_EVENTS,
    BodyError,
    Rejected,
    firehose_records,
    occurred_ms,
    parse_body,
    raw_record,
    validate,
)

NOW = 1_717_243_200_000  # 2024-06-01T12:00:00Z
EVENT = {"id": "evt-00000001", "type": "order_placed", "source": "web",
         "occurredAt": "2024-06-01T11:59:00Z", "attributes": {"order_id": "A-17"}}


def with_(**changes):
    event = dict(EVENT)
    for key, value in changes.items():
        if value is None:
            event.pop(key, None)
        else:
            event[key] = value
    return event


class BodyTests(unittest.TestCase):
    def test_one_event_or_a_list(self):
        self.assertEqual(parse_body(json.dumps(EVENT)), [EVENT])
        self.assertEqual(parse_body(json.dumps({"events": [EVENT, EVENT]})), [EVENT, EVENT])
        encoded = base64.b64encode(json.dumps(EVENT).encode()).decode()
        self.assertEqual(parse_body(encoded, True), [EVENT])

    def test_refused_bodies(self):
        cases = {None: 400, "": 400, "{": 400, "[1, 2]": 400, '"x"': 400, '{"events": []}': 400,
                 '{"events": {}}': 400, json.dumps({"events": [EVENT] * (MAX_EVENTS + 1)}): 413,
                 " " * (MAX_BODY_BYTES + 1): 413}
        for body, status in cases.items():
            with self.subTest(body=(body or "")[:20]), self.assertRaises(BodyError) as refused:
                parse_body(body)
            self.assertEqual(refused.exception.status, status)
        with self.assertRaises(BodyError):
            parse_body("not base64!", True)


class EventTests(unittest.TestCase):
    def test_valid_event_becomes_a_raw_record(self):
        self.assertEqual(raw_record(EVENT, NOW), {
            "event_id": "evt-00000001", "event_type": "order_placed", "source": "web",
            "occurred_at_ms": NOW - 60_000, "received_at_ms": NOW,
            "attributes": {"order_id": "A-17"}})

    def test_timestamps(self):
        self.assertEqual(occurred_ms("2024-06-01T12:00:00Z"), NOW)
        self.assertEqual(occurred_ms("2024-06-01T14:00:00+02:00"), NOW)
        self.assertEqual(occurred_ms(NOW), NOW)
        for bad in ["2024-06-01T12:00:00", "yesterday", True, 1.5, None]:
            with self.subTest(value=bad), self.assertRaises(ValueError):
                occurred_ms(bad)

    def test_invalid_events_say_why(self):
        cases = [
            ("not an object", "object"),
            (with_(id="short"), "id"),
            (with_(id=None), "id"),
            (with_(type="OrderPlaced"), "type"),
            (with_(source=""), "source"),
            (with_(occurredAt=NOW + 10 * 60_000), "future"),
            (with_(occurredAt=NOW - 8 * 24 * 3600_000), "7 days"),
            (with_(occurredAt="2024-06-01T12:00:00"), "time zone"),
            (with_(attributes={"Bad-Key": "x"}), "attribute"),
            (with_(attributes={"k": 1}), "attribute"),
            (with_(attributes={"k": "x" * 257}), "attribute"),
            (with_(attributes={f"k{i}": "v" for i in range(33)}), "attributes"),
            (with_(extra="x"), "unknown fields"),
        ]
        for event, reason in cases:
            with self.subTest(reason=reason), self.assertRaises(ValueError) as problem:
                raw_record(event, NOW)
            self.assertIn(reason, str(problem.exception))

    def test_validate_keeps_the_good_and_reports_the_bad_by_index(self):
        records, rejected = validate([EVENT, with_(id="x"), with_(id="evt-00000002")], NOW)
        self.assertEqual([r["event_id"] for r in records], ["evt-00000001", "evt-00000002"])
        self.assertEqual([r.index for r in rejected], [1])
        self.assertIsInstance(rejected[0], Rejected)

    def test_firehose_records_are_newline_delimited_json(self):
        [entry] = firehose_records([raw_record(EVENT, NOW)])
        self.assertTrue(entry["Data"].endswith(b"\n"))
        self.assertEqual(entry["Data"].count(b"\n"), 1)
        self.assertEqual(json.loads(entry["Data"])["event_id"], "evt-00000001")


if __name__ == "__main__":
    unittest.main()
