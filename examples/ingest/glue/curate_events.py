"""Glue job (PySpark, Glue 4.0): curate the raw events Firehose wrote as Parquet.

Reads new raw files (job bookmarks), drops records that fail the checks, keeps the first
copy of each event id, and writes Parquet partitioned by event_date and event_type into
the curated bucket, where the crawler catalogs them.

Arguments (DefaultArguments in processing.yaml): --RAW_PATH s3://raw/events/
--CURATED_PATH s3://curated/events/

The record-level logic is plain Python at module level, so the tests import this file
without pyspark or awsglue; those are imported inside main() only.
"""

import datetime
import sys
from typing import Iterable, Iterator

CURATED_COLUMNS = (
    ("event_id", "string"),
    ("event_type", "string"),
    ("source", "string"),
    ("occurred_at", "timestamp"),
    ("received_at", "timestamp"),
    ("latency_ms", "bigint"),
    ("attributes", "map<string,string>"),
    ("event_date", "string"),
)
PARTITION_COLUMNS = ("event_date", "event_type")
REQUIRED = ("event_id", "event_type", "source", "occurred_at_ms", "received_at_ms")
# Firehose receives an event at most this long after it happened (the collector refuses
# older ones); anything else is corrupt and dropped here.
MAX_LATENESS_MS = 7 * 24 * 3600 * 1000
MAX_FUTURE_SKEW_MS = 5 * 60 * 1000


def utc(ms: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)


def curate_record(raw: dict) -> dict | None:
    """The curated form of one raw record, or None when it must be dropped."""
    if any(raw.get(key) in (None, "") for key in REQUIRED):
        return None
    occurred, received = raw["occurred_at_ms"], raw["received_at_ms"]
    if not isinstance(occurred, int) or not isinstance(received, int) \
            or isinstance(occurred, bool) or isinstance(received, bool):
        return None
    latency = received - occurred
    if latency > MAX_LATENESS_MS or latency < -MAX_FUTURE_SKEW_MS:
        return None
    occurred_at = utc(occurred)
    return {
        "event_id": raw["event_id"],
        "event_type": raw["event_type"],
        "source": raw["source"],
        "occurred_at": occurred_at,
        "received_at": utc(received),
        "latency_ms": latency,
        "attributes": dict(raw.get("attributes") or {}),
        "event_date": occurred_at.strftime("%Y-%m-%d"),
    }


def curate_partition(rows: Iterable[dict]) -> Iterator[dict]:
    """Curated records of one partition, one per event id: the earliest received copy.

    Run after repartitioning by event_id, so every copy of an id is in one partition.
    """
    first: dict[str, dict] = {}
    for raw in rows:
        record = curate_record(raw)
        if record is None:
            continue
        kept = first.get(record["event_id"])
        if kept is None or record["received_at"] < kept["received_at"]:
            first[record["event_id"]] = record
    return iter(sorted(first.values(), key=lambda r: (r["occurred_at"], r["event_id"])))


def job_arguments(argv: list[str], names: Iterable[str]) -> dict[str, str]:
    """--NAME value pairs as Glue passes them (what getResolvedOptions reads), checked."""
    values, wanted = {}, set(names)
    for flag, value in zip(argv, argv[1:]):
        if flag.startswith("--") and flag[2:] in wanted:
            values[flag[2:]] = value
    missing = sorted(wanted - set(values))
    if missing:
        raise SystemExit(f"curate_events: missing job arguments {missing}")
    for name in ("RAW_PATH", "CURATED_PATH"):
        if name in values and not (values[name].startswith("s3://") and values[name].endswith("/")):
            raise SystemExit(f"curate_events: --{name} must be an s3:// folder ending in '/'")
    return values


def spark_schema():
    """CURATED_COLUMNS as a pyspark StructType (pyspark imported here)."""
    from pyspark.sql import types as T
    simple = {"string": T.StringType(), "timestamp": T.TimestampType(), "bigint": T.LongType(),
              "map<string,string>": T.MapType(T.StringType(), T.StringType())}
    return T.StructType([T.StructField(name, simple[kind], True) for name, kind in CURATED_COLUMNS])


def main(argv: list[str]) -> None:
    from awsglue.context import GlueContext
    from awsglue.job import Job
    from pyspark.context import SparkContext

    args = job_arguments(argv, ["JOB_NAME", "RAW_PATH", "CURATED_PATH"])
    glue = GlueContext(SparkContext.getOrCreate())
    job = Job(glue)
    job.init(args["JOB_NAME"], args)

    raw = glue.create_dynamic_frame.from_options(
        connection_type="s3",
        connection_options={"paths": [args["RAW_PATH"]], "recurse": True},
        format="parquet",
        transformation_ctx="raw_events",  # job bookmark: only files not read before
    ).toDF()
    if raw.rdd.isEmpty():
        job.commit()
        return
    curated = raw.repartition("event_id").rdd \
        .map(lambda row: row.asDict(recursive=True)) \
        .mapPartitions(curate_partition)
    glue.spark_session.createDataFrame(curated, spark_schema()) \
        .write.mode("append").partitionBy(*PARTITION_COLUMNS).parquet(args["CURATED_PATH"])
    job.commit()


if __name__ == "__main__":
    main(sys.argv)
