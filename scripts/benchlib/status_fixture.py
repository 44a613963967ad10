"""Writes N status reports to the bucket, and a copy for nginx (scripts/bench-status)."""
import boto3, datetime, json, os, sys, urllib.request
from concurrent.futures import ThreadPoolExecutor
bucket, count, www = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s3 = boto3.client("s3")
s3.create_bucket(Bucket=bucket)
s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
def write(i):
    # Mostly in sync, some deploying, a few failed: a realistic table.
    state = "failed" if i % 97 == 0 else "deploying" if i % 13 == 0 else "in-sync"
    report = {"schema": "ferry.status/v1", "pipeline": "webapp", "silo": f"silo-{i:04d}",
              "channel": "canary" if i % 10 == 0 else "stable", "pinned": False,
              "target": "1.2.0", "applied": "1.2.0" if state == "in-sync" else "1.1.0", "state": state,
              "reportedAt": now, "intervalSeconds": 3600, "events": [], "targetSerial": 7}
    if state == "failed":
        report["error"] = {"code": "UPDATE_ROLLBACK_COMPLETE", "message": "stack app failed and was rolled back"}
    body = json.dumps(report, sort_keys=True, separators=(",", ":")).encode()
    key = f"ferry/status/webapp/silo-{i:04d}.json"
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
    path = os.path.join(www, bucket, key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    open(path, "wb").write(body)
with ThreadPoolExecutor(16) as pool:
    list(pool.map(write, range(count)))
# The two list responses `ferry status` asks for, as moto gave them.
base = os.environ["AWS_ENDPOINT_URL"]
for name, prefix in (("status", "ferry%2Fstatus%2Fwebapp%2F"), ("channels", "ferry%2Fchannels%2Fwebapp%2F")):
    xml = urllib.request.urlopen(f"{base}/{bucket}?list-type=2&prefix={prefix}").read()
    if name == "status" and b"<IsTruncated>true" in xml:
        sys.exit("bench-status: moto's list is paged; the nginx copy serves one page only")
    open(os.path.join(www, f"list-{name}.xml"), "wb").write(xml)
