"""One measured `ferry status` run at a given width (scripts/bench-status)."""
import resource, subprocess, sys, time
import benchlib
ferry, bucket, width, silos, moto, server, endpoint = sys.argv[1:8]
children_cpu = benchlib.children_cpu
def self_cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
moto0 = benchlib.process_cpu(int(moto))
if width == "boto3":
    import boto3
    from botocore.config import Config
    from concurrent.futures import ThreadPoolExecutor
    cpu0, start = self_cpu(), time.perf_counter()
    s3 = boto3.client("s3", endpoint_url=endpoint, config=Config(max_pool_connections=32, s3={"addressing_style": "path"}))
    keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="ferry/status/webapp/")
            for o in page.get("Contents", [])]
    with ThreadPoolExecutor(32) as pool:
        bodies = list(pool.map(lambda key: s3.get_object(Bucket=bucket, Key=key)["Body"].read(), keys))
    wall, cpu = time.perf_counter() - start, self_cpu() - cpu0
    if len(bodies) != int(silos):
        sys.exit(f"bench-status: boto3 read {len(bodies)} reports, not {silos}")
else:
    cpu0, start = children_cpu(), time.perf_counter()
    done = subprocess.run([ferry, "status", "webapp", "--bucket", bucket, "--read-width", width, "--fail-on", "none",
                           "--endpoint-url", endpoint], capture_output=True, text=True)
    wall, cpu = time.perf_counter() - start, children_cpu() - cpu0
    if done.returncode != 0:
        sys.exit(f"bench-status: ferry status failed ({done.returncode}): {done.stderr}")
    summary = done.stdout.strip().splitlines()[-1]
    if not summary.startswith(f"{silos} silos:"):
        sys.exit(f"bench-status: expected {silos} silos, ferry status said: {summary}")
print(server, width, wall, benchlib.process_cpu(int(moto)) - moto0, cpu)
