"""The Glue job's record logic, imported without pyspark or awsglue."""

import datetime
import sys
import unittest

import support  # noqa: F401  (puts glue/ on sys.path)
import curate_events
from curate_events import (
    CURATED_COLUMNS,
    PARTITION_COLUMNS,
    curate_partition,
    curate_record,
    job_arguments,
)

NOW = 1_717_243_200_000  # 2024-06-01T12:00:00Z
UTC = datetime.timezone.utc


def raw(event_id="evt-00000001", occurred=NOW - 60_000, received=NOW, **more):
    record = {"event_id": event_id, "event_type": "order_placed", "source": "web",
              "occurred_at_ms": occurred, "received_at_ms": received, "attributes": {"k": "v"}}
    record.update(more)
    return record


class ImportTests(unittest.TestCase):
    def test_the_script_imports_without_spark(self):
        self.assertIsNone(sys.modules.get("pyspark"), "importing the script must not import pyspark")
        self.assertIsNone(sys.modules.get("awsglue"), "importing the script must not import awsglue")
        self.assertTrue(callable(curate_events.main))


class RecordTests(unittest.TestCase):
    def test_curated_record(self):
        record = curate_record(raw())
        self.assertEqual(record["occurred_at"], datetime.datetime(2024, 6, 1, 11, 59, tzinfo=UTC))
        self.assertEqual(record["received_at"], datetime.datetime(2024, 6, 1, 12, 0, tzinfo=UTC))
        self.assertEqual(record["latency_ms"], 60_000)
        self.assertEqual(record["event_date"], "2024-06-01")
        self.assertEqual(set(record), {name for name, _ in CURATED_COLUMNS})
        self.assertTrue(set(PARTITION_COLUMNS) <= set(record))

    def test_event_date_is_the_utc_day_it_occurred(self):
        just_before_midnight = NOW - 12 * 3600_000 - 1  # 2024-05-31T23:59:59.999Z
        self.assertEqual(curate_record(raw(occurred=just_before_midnight))["event_date"], "2024-05-31")

    def test_broken_records_are_dropped(self):
        for record in [raw(event_id=""), raw(event_id=None), raw(event_type=None), raw(occurred=None),
                       raw(occurred="1717243200000"), raw(received=True),
                       raw(occurred=NOW - 8 * 24 * 3600_000), raw(occurred=NOW + 6 * 60_000)]:
            with self.subTest(record=record):
                self.assertIsNone(curate_record(record))

    def test_missing_attributes_become_empty(self):
        self.assertEqual(curate_record(raw(attributes=None))["attributes"], {})


class PartitionTests(unittest.TestCase):
    def test_keeps_the_earliest_received_copy_of_each_event(self):
        rows = [raw("evt-00000002", received=NOW + 5, source="late"),
                raw("evt-00000001"),
                raw("evt-00000002", received=NOW + 1, source="first"),
                raw("evt-00000003", event_type=None)]
        result = list(curate_partition(rows))
        self.assertEqual([r["event_id"] for r in result], ["evt-00000001", "evt-00000002"])
        self.assertEqual(result[1]["source"], "first")

    def test_empty_partition(self):
        self.assertEqual(list(curate_partition([])), [])


class ArgumentTests(unittest.TestCase):
    ARGV = ["script.py", "--JOB_NAME", "ingest-prod-curate-events", "--RAW_PATH", "s3://raw/events/",
            "--CURATED_PATH", "s3://curated/events/", "--job-bookmark-option", "job-bookmark-enable"]

    def test_reads_the_named_arguments(self):
        self.assertEqual(job_arguments(self.ARGV, ["JOB_NAME", "RAW_PATH", "CURATED_PATH"]),
                         {"JOB_NAME": "ingest-prod-curate-events", "RAW_PATH": "s3://raw/events/",
                          "CURATED_PATH": "s3://curated/events/"})

    def test_missing_or_bad_arguments_stop_the_job(self):
        with self.assertRaises(SystemExit) as stopped:
            job_arguments(self.ARGV[:3], ["JOB_NAME", "RAW_PATH"])
        self.assertIn("RAW_PATH", str(stopped.exception))
        with self.assertRaises(SystemExit):
            job_arguments(["s", "--RAW_PATH", "/local/events"], ["RAW_PATH"])
        with self.assertRaises(SystemExit):
            job_arguments(["s", "--RAW_PATH", "s3://raw/events"], ["RAW_PATH"])


if __name__ == "__main__":
    unittest.main()
