"""The Lambda runner's idle invocation, measured (scripts/bench-lambda runs it).

    lambda_idle.py FERRY_BIN WORK RUNS ENDPOINT [--json FILE] [--profile]

Environment: the moto variables (scripts/moto env) and BENCH_BUCKET, BENCH_ARTIFACTS,
BENCH_TRUST (the FERRY_TRUST value). Starts the Runtime API stand-in
(Tests/Support/lambda_runtime_standin.py) and `ferry agent lambda` pointed at it; the first
invocation applies the published release, then RUNS idle invocations are timed the way
Lambda bills them: from the stand-in's answer to `next` to the arrival of the `response`
POST (`billedMillis`). A second execution environment, behind a pass-through proxy
(Tests/Support/fault_proxy.py), counts the S3 requests of each idle invocation (and the
locked ones: the first of an environment, the heartbeat). --profile: the timed runs again
under `strace -f -r`, summarised by system call. Prints markdown; --json writes it for
scripts/bench.
"""
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request

import benchlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def start_line_server(args):
    """A helper server that prints its port on its first line; returns (process, port)."""
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return process, int(process.stdout.readline())


def call(url, method="GET", timeout=300):
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return json.load(answer)


class Environment:
    """One execution environment: `ferry agent lambda` on its own state folder."""

    def __init__(self, ferry, api, folder, endpoint, extra=None, prefix_command=None):
        env = dict(os.environ)
        env.update({
            "AWS_LAMBDA_RUNTIME_API": api, "AWS_ENDPOINT_URL": endpoint,
            "FERRY_BUCKET": os.environ["BENCH_BUCKET"], "FERRY_PREFIX": "ferry/", "FERRY_PIPELINES": "bench",
            "FERRY_CHANNEL": "canary", "FERRY_TRUST": os.environ["BENCH_TRUST"], "FERRY_STATE_DIR": folder,
            "FERRY_STACK_PREFIX": "lambda-", "FERRY_ARTIFACT_BUCKET": os.environ["BENCH_ARTIFACTS"],
            "FERRY_LOG_FORMAT": "json", "FERRY_LOG_LEVEL": "warning", "FERRY_LOCK_GRACE": "0",
        })
        env.update(extra or {})
        self.log = open(folder + ".log", "w")
        self.process = subprocess.Popen((prefix_command or []) + [ferry, "agent", "lambda"], env=env,
                                        stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)

    def end(self):
        self.process.kill()
        self.process.wait()
        self.log.close()


def invoke(api):
    ident = call("http://%s/__invoke__?timeout=120" % api, "POST")["id"]
    result = call("http://%s/__result__/%s?wait=240" % (api, ident))
    if result["kind"] != "response":
        raise SystemExit("lambda_idle: the invocation answered %s" % json.dumps(result)[:600])
    body = result["body"]
    outcomes = ",".join(o["outcome"] for o in body.get("outcomes", []))
    return {"billed": result["billedMillis"], "inside": body.get("millis"), "lock": body.get("lock"),
            "outcome": outcomes}


def timed_runs(ferry, api, work, endpoint, runs, prefix_command=None, name="timed"):
    environment = Environment(ferry, api, os.path.join(work, name), endpoint, prefix_command=prefix_command)
    try:
        first = invoke(api)
        results = [invoke(api) for _ in range(runs)]
        # Peak resident memory of the environment (the function's memory size bounds it).
        peak = benchlib.process_status_kib(environment.process.pid, "VmHWM") if not prefix_command else None
    finally:
        environment.end()
    return first, results, peak


def counted_runs(ferry, api, work, proxy, runs):
    """Requests per invocation of a fresh environment behind the proxy: [(result, requests)]."""
    environment = Environment(ferry, api, os.path.join(work, "counted"), proxy)
    counted = []
    try:
        for _ in range(runs):
            call(proxy + "/__reset__", "POST")
            result = invoke(api)
            log = call(proxy + "/__log__")
            counted.append((result, ["%s %s" % (entry["method"], describe(entry["path"])) for entry in log]))
    finally:
        environment.end()
    return counted


def describe(path):
    """`/bucket/ferry/channels/bench/canary.json?x` -> a short name of what was read."""
    path = path.split("?", 1)[0]
    for part, name in (("/agent/lock", "lock"), ("/agent/journal", "journal"), ("/channels/", "pointer"),
                       ("/pins/", "pin"), ("/status/", "status")):
        if part in path:
            return name
    return path


def strace_summary(path):
    """Time between consecutive system calls, summed per call name (strace -r): where the
    wall time of the traced idle invocations went."""
    totals = {}
    lines = open(path).read().splitlines()
    for line in lines:
        words = line.split()
        if len(words) < 3:
            continue
        try:
            delta = float(words[1])
        except ValueError:
            continue
        name = words[2].split("(", 1)[0]
        totals[name] = totals.get(name, 0.0) + delta
    return sorted(totals.items(), key=lambda item: -item[1])[:12]


def main():
    ferry, work, runs, endpoint = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    json_out = sys.argv[sys.argv.index("--json") + 1] if "--json" in sys.argv else ""
    profile = "--profile" in sys.argv
    started = time.time()
    python = sys.executable
    standin, port = start_line_server([python, os.path.join(ROOT, "Tests/Support/lambda_runtime_standin.py")])
    proxy_process, proxy_port = start_line_server([python, os.path.join(ROOT, "Tests/Support/fault_proxy.py"),
                                                   "--upstream", endpoint])
    api = "127.0.0.1:%d" % port
    proxy = "http://localhost:%d" % proxy_port
    try:
        first, results, peak = timed_runs(ferry, api, work, endpoint, runs)
        counted = counted_runs(ferry, api, work, proxy, 4)
        traced = None
        if profile:
            trace = os.path.join(work, "strace.txt")
            traced = timed_runs(ferry, api, work, endpoint, 5, ["strace", "-f", "-r", "-o", trace], "traced")
            traced = (traced, strace_summary(trace))
    finally:
        for process in (standin, proxy_process):
            process.kill()
            process.wait()

    billed = [r["billed"] for r in results]
    inside = [r["inside"] for r in results]
    idle = [r for r in results if r["outcome"] == "idle"]
    lines = ["### The Lambda runner's idle invocation (scripts/bench-lambda)", "",
             "`ferry agent lambda` driven by the Runtime API stand-in against moto; one warm execution "
             "environment; the first invocation applied the release, then %d invocations with nothing new. "
             "**Billed duration** is what Lambda bills: from the stand-in's answer to `next` to the arrival of "
             "the `response` POST. Inside is the response's own `millis`." % runs, "",
             "| invocations | outcome | lock | billed ms, median [min-max] | inside ms, median [min-max] |",
             "|---|---|---|---|---|",
             "| %d | %s | %s | %s | %s |" % (len(results), ",".join(sorted({r["outcome"] for r in results})),
                                           ",".join(sorted({r["lock"] for r in results})),
                                           benchlib.cell(billed, "%.1f"), benchlib.cell(inside, "%.0f")),
             "", "First invocation (applies the release): billed %.0f ms, lock %s, outcome %s. Peak resident "
             "memory of the environment after them all: %.1f MiB." %
             (first["billed"], first["lock"], first["outcome"], (peak or 0) / 1024), "",
             "S3 requests per invocation of a fresh environment (through a pass-through proxy):", "",
             "| invocation | outcome | lock | requests |", "|---|---|---|---|"]
    for index, (result, requests) in enumerate(counted, 1):
        lines.append("| %d | %s | %s | %d: %s |" % (index, result["outcome"], result["lock"], len(requests),
                                                  ", ".join(requests)))
    if traced:
        (_, traced_results, _), summary = traced
        lines += ["", "Under `strace -f -r` (5 idle invocations, billed %s ms): wall time before each system "
                  "call, summed per call, all threads:" % benchlib.cell([r["billed"] for r in traced_results],
                                                                         "%.1f"), "",
                  "| system call | seconds |", "|---|---|"]
        lines += ["| %s | %.4f |" % item for item in summary]
    markdown = "\n".join(lines) + "\n"
    print(markdown)
    median = statistics.median(billed)
    if json_out:
        with open(json_out, "w") as out:
            json.dump({"name": "lambda", "title": "The Lambda runner's idle invocation", "markdown": markdown,
                       "targets": [{"target": "Lambda runner: idle invocation under 10 ms billed duration",
                                    "measured": "%.1f ms (median of %d)" % (median, len(billed)),
                                    "met": median < 10 and len(idle) == len(results)}],
                       "seconds": time.time() - started}, out)


if __name__ == "__main__":
    main()
