"""Turns scripts/bench-agent's measurements into its Markdown report."""
import json, os, sys, datetime
import benchlib
rows = [line.split() for line in open(sys.argv[1])]
requests, (runs, idle_runs, stacks, payload, json_path, started, work, profile) = sys.argv[2].split(), sys.argv[3:]
def values(kind, index):
    if any(int(r[4]) != 0 for r in rows if r[0] == kind):
        sys.exit(f"bench-agent: a {kind} run failed")
    return [float(r[index]) for r in rows if r[0] == kind]
def med(kind, index):
    return benchlib.median(values(kind, index))
out, targets = [], []
idle_cpu, idle_hwm = med("idle", 2), med("idle", 3) / 1024
daemon = [r for r in rows if r[0] == "daemon"][0]
d_cpu, d_ticks, d_hwm, d_requests = float(daemon[1]), int(daemon[2]), int(daemon[3]) / 1024, float(daemon[5])
d_anonymous = int(daemon[6]) / 1024
out.append(f"**Idle tick**, a release already applied. `ferry agent once` is a whole process (start-up included), "
           f"{idle_runs} runs; `ferry agent run` is the tick inside the daemon (no start-up), --interval 0.2s over "
           f"{d_ticks} ticks; requests counted by a pass-through proxy (Tests/Support/fault_proxy.py).\n")
out.append("| measure | agent once, a process | agent run, one tick in the daemon | ferry --version (process floor) "
           "| curl --version (libcurl's floor) | target |")
out.append("|---|---:|---:|---:|---:|---:|")
out.append(f"| requests | {len(requests)} ({' '.join(requests)}) | {d_requests:.2f} per tick (the pin every 3 min) | 0 | 0 "
           "| at most 2 |")
out.append(f"| CPU time (user + sys) | {benchlib.cell(values('idle', 2), '%.1f')} ms | {d_cpu:.2f} ms | "
           f"{benchlib.cell(values('version', 2), '%.1f')} ms | {benchlib.cell(values('curl', 2), '%.1f')} ms | under 5 ms |")
out.append(f"| peak memory | {benchlib.cell(values('idle', 3), '%.1f', 1 / 1024)} MB (max RSS) | {d_hwm:.1f} MB "
           f"(VmHWM of the daemon; {d_anonymous:.1f} MB of it anonymous) | {med('version', 3) / 1024:.1f} MB "
           f"| {med('curl', 3) / 1024:.1f} MB | under 30 MB |")
out.append(f"| wall time | {benchlib.cell(values('idle', 1), '%.1f', 1000)} ms | | "
           f"{benchlib.cell(values('version', 1), '%.1f', 1000)} ms | {benchlib.cell(values('curl', 1), '%.1f', 1000)} ms | |")
out.append("\nPeak memory counts the pages of the 100 MB static `ferry` binary and of the shared libraries a process "
           "touched (file-backed, shared by every agent on a host); the anonymous part is the agent's own. "
           "`curl --version` does nothing but start: Debian's libcurl is linked with BIND_NOW against some 30 "
           "libraries (OpenSSL, nghttp2, libssh2, LDAP, Kerberos, ...), and the dynamic loader's symbol binding for "
           "them is most of any libcurl program's start-up; the same loading is inside `ferry --version`.")
targets.append(benchlib.target("idle tick: at most 2 requests",
                               f"agent once {len(requests)}, agent run {d_requests:.2f} per tick",
                               len(requests) <= 2 and d_requests <= 2))
targets.append(benchlib.target("idle tick: under 5 ms of CPU (agent run, a tick in the daemon)", f"{d_cpu:.2f} ms", d_cpu < 5))
targets.append(benchlib.target("idle tick: under 5 ms of CPU (agent once, a whole process)", f"{idle_cpu:.1f} ms", idle_cpu < 5))
targets.append(benchlib.target("idle tick: under 30 MB peak memory (agent once / agent run)",
                               f"{idle_hwm:.1f} MB / {d_hwm:.1f} MB", idle_hwm < 30 and d_hwm < 30))
worst = None
for text in ("0", "25"):
    mb = float([r for r in rows if r[0] == f"size-{text}"][0][1]) / 1e6
    out.append(f"\n**Unpack and verify** a {mb:.0f} MB bundle, {text} % text, {runs} runs alternating "
               f"(wall time of each process).\n")
    out.append("| tool | time (s) | throughput (MB/s) | openssl / tool time |")
    out.append("|---|---:|---:|---:|")
    openssl = med(f"unpack-openssl-{text}", 1)
    for kind, label in (("unpack-ferry", "`ferry-bench unpack` (unpack + SHA-256 + check every file)"),
                        ("unpack-openssl", "`openssl dgst -sha256` (hash only; the reference)"), ("unpack-unzip", "`unzip` (unpack + CRC)")):
        seconds = values(f"{kind}-{text}", 1)
        out.append(f"| {label} | {benchlib.cell(seconds)} | {mb / benchlib.median(seconds):.0f} | "
                   f"{openssl / benchlib.median(seconds):.2f} |")
    share = openssl / med(f"unpack-ferry-{text}", 1)
    worst = share if worst is None else min(worst, share)
    targets.append(benchlib.target(f"unpack and verify ({text} % text): at least half of openssl dgst -sha256's throughput",
                                   f"{share:.2f} of openssl", share >= 0.5))
out.append(f"\n**Deploy** of {stacks} one-queue stacks and a {payload} MiB payload, {runs} runs alternating. Reference: "
           "`aws s3 cp` of the bundle + `unzip` + `aws cloudformation deploy --no-fail-on-empty-changeset` per stack. "
           "Ferry: `ferry agent once` (fetch, verify, unpack, change sets).\n")
out.append("| case | ferry agent once (s) | AWS CLI (s) | AWS CLI / Ferry | CPU s, AWS CLI / Ferry | target |")
out.append("|---|---:|---:|---:|---:|---:|")
for case, label, goal in (("fresh", "fresh stacks", 3), ("same", "nothing changed", 50)):
    f, a = values(f"deploy-ferry-{case}", 1), values(f"deploy-aws-{case}", 1)
    r = benchlib.ratio(a, f)
    out.append(f"| {label} | {benchlib.cell(f)} | {benchlib.cell(a)} | {r:.1f}x | "
               f"{med(f'deploy-aws-{case}', 2) / 1000:.2f} / {med(f'deploy-ferry-{case}', 2) / 1000:.3f} | {goal}x |")
    targets.append(benchlib.target(f"deploy, {label}: at least {goal}x faster than download + unzip + aws cloudformation deploy",
                                   f"{r:.1f}x ({benchlib.median(a):.2f} s / {benchlib.median(f):.3f} s)", r >= goal))
if profile:
    # The timeline of one fresh deploy from its JSON log: where the wall time goes.
    lines = [json.loads(l) for l in open(os.path.join(work, "deploy.log")) if l.startswith("{")]
    at = lambda l: datetime.datetime.fromisoformat(l["time"].replace("Z", "+00:00")).timestamp()
    first, last = at(lines[0]), at(lines[-1])
    deploying = next(at(l) for l in lines if l["message"].startswith("deploying"))
    begun = next(at(l) for l in lines if l.get("step") == "deploy" and l.get("phase") == "begin")
    waits = {"change set created, until its execution": 0.0, "change set executed, until the stack is done": 0.0}
    stack_begin = {}
    for l in lines:
        step, phase, stack = l.get("step"), l.get("phase"), l.get("stack")
        if step == "create-change-set" and phase == "begin": stack_begin[stack] = at(l)
        if step == "execute-change-set" and phase == "begin":
            waits["change set created, until its execution"] += at(l) - stack_begin[stack]; stack_begin[stack] = at(l)
        if step == "stack" and phase == "end" and stack in stack_begin:
            waits["change set executed, until the stack is done"] += at(l) - stack_begin[stack]
    out.append(f"\n**Profile of a fresh deploy** (one more `agent once` with --log-format json, under perf record): "
               f"{last - first:.3f} s from the first to the last log line.\n")
    out.append("| phase (from the step log's timestamps) | wall (s) |")
    out.append("|---|---:|")
    out.append(f"| accept the pointer, fetch + verify + unpack the bundle ({payload} MiB) | {begun - deploying:.3f} |")
    for label, seconds in waits.items():
        out.append(f"| {label}, {stacks} stacks | {seconds:.3f} |")
    out.append("")
    out.append(benchlib.perf_table(os.path.join(work, "deploy.perf"), "a fresh `ferry agent once`"))
benchlib.write_result(json_path, "agent", "The silo agent: idle tick, unpack, deploy (scripts/bench-agent)",
                      "\n".join(out), targets, float(started))
