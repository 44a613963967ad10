"""The collector handler end to end, with Firehose stubbed.

The stub stands in for boto3's Firehose client only (no network in unit tests): it
records PutRecordBatch calls and answers like Firehose, optionally failing some entries.
"""

import json
import logging
import os
import unittest
from unittest import mock

import support  # noqa: F401  (puts the collector source on sys.path)
import app

NOW = 1_717_243_200_000
EVENT = {"id": "evt-00000001", "type": "order_placed", "source": "web", "occurredAt": NOW - 1000}


class FirehoseStub:
    def __init__(self, fail_first=0, error=None):
        self.calls = []
        self.fail_first = fail_first   # entries to fail, counted over all calls
        self.error = error

    def put_record_batch(self, DeliveryStreamName, Records):
        self.calls.append((DeliveryStreamName, list(Records)))
        if self.error:
            raise self.error
        responses, failed = [], 0
        for _ in Records:
            if self.fail_first > 0:
                self.fail_first -= 1
                failed += 1
                responses.append({"ErrorCode": "ServiceUnavailableException", "ErrorMessage": "slow down"})
            else:
                responses.append({"RecordId": "r"})
        return {"FailedPutCount": failed, "RequestResponses": responses}


class CapturedLog(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def request(body):
    return {"body": json.dumps(body), "isBase64Encoded": False}


class HandlerTests(unittest.TestCase):
    def call(self, evt, stub=None, env=None):
        self.stub = stub or FirehoseStub()
        settings = env if env is not None else {"STREAM_NAME": "ingest-prod-raw-events"}
        handler = CapturedLog()
        app.log.addHandler(handler)
        try:
            with mock.patch.dict(os.environ, settings, clear=True), \
                    mock.patch.object(app, "_firehose_client", self.stub):
                result = app.handler(evt, None, now_ms=NOW)
        finally:
            app.log.removeHandler(handler)
        self.logs = "\n".join(handler.lines)
        return result["statusCode"], json.loads(result["body"])

    def test_valid_events_go_to_the_stream(self):
        second = dict(EVENT, id="evt-00000002")
        status, body = self.call(request({"events": [EVENT, {"id": "bad"}, second]}))
        self.assertEqual(status, 202)
        self.assertEqual(body["accepted"], 2)
        self.assertIn("accepted 2 events, rejected 1", self.logs)
        self.assertEqual([r["index"] for r in body["rejected"]], [1])
        [(stream, records)] = self.stub.calls
        self.assertEqual(stream, "ingest-prod-raw-events")
        self.assertEqual([json.loads(r["Data"])["event_id"] for r in records], ["evt-00000001", "evt-00000002"])

    def test_only_failed_entries_are_retried(self):
        second = dict(EVENT, id="evt-00000002")
        status, _ = self.call(request({"events": [EVENT, second]}), stub=FirehoseStub(fail_first=1))
        self.assertEqual(status, 202)
        self.assertEqual([len(records) for _, records in self.stub.calls], [2, 1])
        self.assertEqual(json.loads(self.stub.calls[1][1][0]["Data"])["event_id"], "evt-00000001")

    def test_entries_still_failing_after_retries_are_a_503(self):
        status, body = self.call(request(EVENT), stub=FirehoseStub(fail_first=10))
        self.assertEqual((status, body["error"]), (503, "Unavailable"))
        self.assertEqual(len(self.stub.calls), 3)
        self.assertIn("1 of 1 records not accepted", self.logs)

    def test_no_valid_events_is_a_400_and_nothing_is_sent(self):
        status, body = self.call(request({"id": "bad"}))
        self.assertEqual((status, body["error"]), (400, "NoValidEvents"))
        self.assertEqual(self.stub.calls, [])

    def test_bad_body_is_refused_before_firehose(self):
        status, _ = self.call({"body": "{", "isBase64Encoded": False})
        self.assertEqual(status, 400)
        self.assertEqual(self.stub.calls, [])

    def test_firehose_error_is_a_503_without_details(self):
        error = Exception("arn:aws:firehose:eu-west-1:999999999999:deliverystream/x not found")
        status, body = self.call(request(EVENT), stub=FirehoseStub(error=error))
        self.assertEqual(status, 503)
        self.assertNotIn("arn:aws", json.dumps(body))
        self.assertIn("PutRecordBatch to ingest-prod-raw-events failed: Exception", self.logs)

    def test_missing_setting_fails_closed(self):
        status, _ = self.call(request(EVENT), env={})
        self.assertEqual(status, 500)
        self.assertEqual(self.stub.calls, [])


if __name__ == "__main__":
    unittest.main()
