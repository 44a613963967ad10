"""Lambda handler behind POST /events (HTTP API, IAM auth): validates events and puts
them into the Firehose delivery stream, which writes Parquet into the raw bucket.

Settings (environment, set by intake.yaml):
  STREAM_NAME   the Firehose delivery stream
"""

import json
import logging
import os
import time

from events import BodyError, firehose_records, parse_body, validate

log = logging.getLogger()
log.setLevel(logging.INFO)

_firehose_client = None


def firehose():
    """The Firehose client, made on first use (boto3 is imported here, not at module load)."""
    global _firehose_client
    if _firehose_client is None:
        import boto3
        _firehose_client = boto3.client("firehose")
    return _firehose_client


def answer(status: int, body: dict) -> dict:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"},
            "body": json.dumps(body, sort_keys=True)}


def put_all(stream: str, entries: list[dict], attempts: int = 3) -> int:
    """PutRecordBatch, retrying only the entries Firehose failed; returns how many failed."""
    pending = entries
    for _ in range(attempts):
        result = firehose().put_record_batch(DeliveryStreamName=stream, Records=pending)
        if result.get("FailedPutCount", 0) == 0:
            return 0
        pending = [entry for entry, outcome in zip(pending, result["RequestResponses"])
                   if "ErrorCode" in outcome]
    return len(pending)


def handler(event, context, now_ms=None):
    stream = os.environ.get("STREAM_NAME")
    if not stream:
        log.error("STREAM_NAME is not set; redeploy the ingest-intake stack")
        return answer(500, {"error": "NotConfigured", "message": "the collector is not configured"})
    try:
        events = parse_body(event.get("body"), bool(event.get("isBase64Encoded")))
    except BodyError as refused:
        return answer(refused.status, {"error": "BadRequest", "message": refused.message})

    received = now_ms if now_ms is not None else int(time.time() * 1000)
    records, rejected = validate(events, received)
    problems = [{"index": r.index, "reason": r.reason} for r in rejected]
    if not records:
        return answer(400, {"error": "NoValidEvents", "rejected": problems})
    try:
        failed = put_all(stream, firehose_records(records))
    except Exception as failure:  # noqa: BLE001 - the sender retries; the log has the kind
        code = getattr(failure, "response", {}).get("Error", {}).get("Code", type(failure).__name__)
        log.error("PutRecordBatch to %s failed: %s", stream, code)
        return answer(503, {"error": "Unavailable", "message": "could not store the events; retry"})
    if failed:
        log.error("%d of %d records not accepted by %s after retries", failed, len(records), stream)
        return answer(503, {"error": "Unavailable", "message": f"{failed} events not stored; retry the request "
                                                         "(duplicates are dropped by event id)"})
    log.info("accepted %d events, rejected %d", len(records), len(rejected))
    return answer(202, {"accepted": len(records), "rejected": problems})
