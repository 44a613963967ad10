"""The Lambda runner's idle invocation, measured (scripts/bench-lambda runs it).

    lambda_idle.py FERRY_BIN WORK RUNS ENDPOINT [--json FILE] [--profile]

Environment: the moto variables (scripts/moto env) and BENCH_BUCKET, BENCH_ARTIFACTS,
BENCH_TRUST (the FERRY_TRUST value). Starts the Runtime API stand-in
(Tests/Support/lambda_runtime_standin.py) and `ferry agent lambda` pointed at it; the first
invocation applies the published release, then RUNS idle invocations are timed the way
Lambda bills them: from the stand-in's answer to `next` to the arrival of the `response`
POST (`billedMillis`). A second execution environment, behind a pass-through proxy
(Tests/Support/fault_proxy.py), counts the S3 requests of each idle invocation (and the
locked ones: the first of an environment). --profile: 10 timed runs again under
`strace -f -tt`, cut into phases at their system calls. Prints markdown; --json writes it for
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
    """Requests per invocation of a fresh environment behind the proxy: [(result, requests)].
    Its heartbeat is 3 s (instead of 30 min): the last invocation comes after it is due."""
    environment = Environment(ferry, api, os.path.join(work, "counted"), proxy,
                              {"FERRY_HEARTBEAT": "3", "FERRY_INTERVAL": "1"})
    counted = []
    try:
        for index in range(runs + 1):
            if index == runs:
                time.sleep(3.5)
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


def clock(words):
    """Seconds since midnight of a `strace -tt` time stamp (`03:18:47.676434`)."""
    hours, minutes, seconds = words.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def strace_phases(path):
    """Per idle invocation, from `strace -f -tt`: ms from receiving the invocation (`next`'s
    200) to sending the first S3 request, waiting for S3 (the request to its last answer),
    and from the last answer to sending the response; the first invocation (it applies) is
    left out."""
    phases = []
    current = None
    for line in open(path):
        words = line.split(None, 2)
        if len(words) < 3:
            continue
        call = words[2]
        if call.startswith("recvfrom(") and "HTTP/1.1 200 OK\\r\\nServer: BaseHTT" in call:
            current = {"received": clock(words[1])}
        elif current is None:
            continue
        elif call.startswith("sendto(") and '"GET /' in call and "sent" not in current:
            current["sent"] = clock(words[1])
        elif call.startswith("recvfrom(") and "HTTP/1.1 3" in call or call.startswith("recvfrom(") and "HTTP/1.1 2" in call:
            current["answered"] = clock(words[1])
        elif call.startswith("sendto(") and '"POST /2018-06-01' in call:
            if "sent" in current and "answered" in current:
                phases.append(((current["sent"] - current["received"]) * 1000,
                               (current["answered"] - current["sent"]) * 1000,
                               (clock(words[1]) - current["answered"]) * 1000))
            current = None
    return phases[1:]


def monthly_cost(counted):
    """$ per silo per month at rate(1 minute) over 30 days from the counted requests: the idle
    invocations' (the 2nd to the next-to-last) and the heartbeat's (the last, every 30 min),
    the pin every 3 min, us-east-1 prices; Lambda at 50 ms and 128 MB; logs ~350 B each."""
    invocations, heartbeats = 43_200, 1_440
    idle = [requests for _, requests in counted[1:-1]]
    beat = counted[-1][1]
    def count(requests, method):
        return sum(1 for r in requests if r.startswith(method + " "))
    gets = (invocations - heartbeats) * statistics.mean(count(r, "GET") for r in idle) + 14_400 \
        + heartbeats * count(beat, "GET")
    puts = heartbeats * count(beat, "PUT")
    cost = {"S3 GET": gets * 0.0004 / 1000, "S3 PUT": puts * 0.005 / 1000,
            "Lambda requests": invocations * 0.20 / 1e6,
            "Lambda duration": invocations * 0.050 * 0.125 * 0.0000166667,
            "logs": invocations * 350 / 1e9 * 0.50}
    cost["total"] = sum(cost.values())
    return cost


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
            traced = timed_runs(ferry, api, work, endpoint, 10, ["strace", "-f", "-tt", "-o", trace], "traced")
            traced = (traced, strace_phases(trace))
    finally:
        for process in (standin, proxy_process):
            process.kill()
            process.wait()

    billed = [r["billed"] for r in results]
    inside = [r["inside"] for r in results]
    idle = [r for r in results if r["outcome"] == "idle"]
    lines = ["`ferry agent lambda` driven by the Runtime API stand-in against moto; one warm execution "
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
             "S3 requests per invocation of a fresh environment (through a pass-through proxy; the last one "
             "comes when its heartbeat is due, a 3 s heartbeat here instead of 30 min):", "",
             "| invocation | outcome | lock | requests |", "|---|---|---|---|"]
    for index, (result, requests) in enumerate(counted, 1):
        lines.append("| %d | %s | %s | %d: %s |" % (index, result["outcome"], result["lock"], len(requests),
                                                  ", ".join(requests)))
    if traced:
        (_, traced_results, _), phases = traced
        lines += ["", "Profile: 10 idle invocations again under `strace -f -tt` (which slows every system call: "
                  "billed %s ms there), each cut at its system calls into what runs before the S3 request "
                  "(the Runtime API answer read, the idle check's journal reads, signing), the S3 round trip "
                  "(moto), and what runs after it (the journal reads of target selection, the answer):" %
                  benchlib.cell([r["billed"] for r in traced_results], "%.1f"), "",
                  "| phase | ms, median [min-max] |", "|---|---|"]
        for index, name in enumerate(["before the S3 request", "S3 round trip(s)", "after, to the response POST"]):
            lines.append("| %s | %s |" % (name, benchlib.cell([p[index] for p in phases], "%.2f")))
    cost = monthly_cost(counted)
    lines += ["", "Per silo per month from these counts (docs/agent.md, \"What an idle invocation costs\"): "
              "%s." % ", ".join("%s $%.4f" % item for item in cost.items())]
    markdown = "\n".join(lines) + "\n"
    print(markdown)
    median = statistics.median(billed)
    if json_out:
        with open(json_out, "w") as out:
            json.dump({"name": "lambda", "title": "The Lambda runner's idle invocation (scripts/bench-lambda)",
                       "markdown": markdown,
                       "targets": [{"target": "Lambda runner: idle invocation under 10 ms billed duration",
                                    "measured": "%.1f ms (median of %d)" % (median, len(billed)),
                                    "met": median < 10 and len(idle) == len(results)},
                                   {"target": "Lambda runner: under $0.10 per silo per month",
                                    "measured": "$%.3f" % cost["total"], "met": cost["total"] < 0.10}],
                       "seconds": time.time() - started}, out)


if __name__ == "__main__":
    main()
