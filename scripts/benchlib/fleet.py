"""The fleet benchmark: N silo agents against moto, timed to in-sync (run by scripts/bench-fleet)."""
import datetime, json, os, re, statistics, subprocess, sys, time
import benchlib

ferry, work, SPEED, json_path = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
sizes = [int(n) for n in sys.argv[5:]]
started = time.time()
# The default cadence (30 s, 3 min, 30 min), SPEED times faster; the idle window is one heartbeat.
CADENCE = ["--interval", "%gs" % (30 / SPEED), "--pin-interval", "%gs" % (180 / SPEED), "--heartbeat", "%gs" % (1800 / SPEED)]
window = 1800 / SPEED
GET_PRICE, PUT_PRICE = 0.0004 / 1000, 0.005 / 1000   # S3 Standard, us-east-1, per request
HOURS_PER_MONTH = 720                                 # a 30-day month, as docs/agent.md


def log(text):
    print("bench-fleet: " + text, file=sys.stderr, flush=True)


def run(args, env=None, cwd=None):
    done = subprocess.run(args, env=env, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit("bench-fleet: %s failed (%d):\n%s" % (" ".join(args[:3]), done.returncode, done.stderr[-3000:]))
    return done.stdout


# ---- the repository: one pipeline, one stack of one SQS queue, two commits ----------

repo = os.path.join(work, "repo")
os.makedirs(os.path.join(repo, "app"))
os.makedirs(os.path.join(repo, "pipelines"))
open(os.path.join(repo, "pipelines", "fleet.yaml"), "w").write(
    "pipeline: fleet\nsource:\n  path: app\nstacks:\n  - name: queue\n    template: queue.yaml\n")
TEMPLATE = ("AWSTemplateFormatVersion: '2010-09-09'\nDescription: ferry fleet benchmark\nResources:\n"
            "  Queue:\n    Type: AWS::SQS::Queue\n    Properties:\n      VisibilityTimeout: %d\n")
git_env = dict(os.environ, GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1", GIT_AUTHOR_NAME="Bench",
               GIT_AUTHOR_EMAIL="bench@example.com", GIT_COMMITTER_NAME="Bench", GIT_COMMITTER_EMAIL="bench@example.com")
run(["git", "init", "-q", "-b", "main"], env=git_env, cwd=repo)
run(["git", "config", "user.name", "Bench"], cwd=repo)
run(["git", "config", "user.email", "bench@example.com"], cwd=repo)
commits = {}
for version, timeout in (("1.0.0", 30), ("1.1.0", 60)):
    open(os.path.join(repo, "app", "queue.yaml"), "w").write(TEMPLATE % timeout)
    run(["git", "add", "-A"], env=git_env, cwd=repo)
    run(["git", "commit", "-q", "-m", "queue " + version], env=git_env, cwd=repo)
    commits[version] = run(["git", "rev-parse", "HEAD"], cwd=repo).strip()
run([ferry, "keys", "generate", "--out", work, "--name", "fleet"])
key, pub = os.path.join(work, "fleet.key"), os.path.join(work, "fleet.pub")


# ---- one fleet of N --------------------------------------------------------------

def moto_start(name):
    endpoint = run(["scripts/moto", "start", "--name", name]).strip().splitlines()[-1]
    pid = int(run(["scripts/moto", "pid", "--name", name]))
    return endpoint, pid, os.path.join(".ferry-run", "moto-" + name, "server.log")


def status(env, bucket):
    done = subprocess.run([ferry, "status", "fleet", "--json", "--fail-on", "none", "--bucket", bucket],
                          env=env, capture_output=True, text=True)
    return json.loads(done.stdout)["silos"] if done.returncode == 0 and done.stdout else []


APPLIED = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})Z \w+ applied .*\bversion=(\S+)")


def applied_time(path, version):
    """When the agent logging to `path` logged that it applied `version` (seconds since the epoch), or None."""
    with open(path) as handle:
        for line in handle:
            match = APPLIED.match(line)
            if match and match.group(2) == version:
                stamp = datetime.datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S.%f")
                return stamp.replace(tzinfo=datetime.timezone.utc).timestamp()
    return None


def fleet(n):
    name = "bench-fleet-%d-%d" % (os.getpid(), n)
    endpoint, moto_pid, moto_log = moto_start(name)
    agents = []
    try:
        return measure_fleet(n, endpoint, moto_pid, moto_log, agents)
    finally:
        for agent in agents:
            if agent.poll() is None:
                agent.terminate()
        for agent in agents:
            try:
                agent.wait(timeout=20)
            except subprocess.TimeoutExpired:
                agent.kill()
                agent.wait()
        subprocess.run(["scripts/moto", "stop", "--name", name, "--remove"], capture_output=True)


def measure_fleet(n, endpoint, moto_pid, moto_log, agents):
    env = dict(os.environ, AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_REGION="us-east-1", AWS_DEFAULT_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true")
    bucket = "ferry-fleet-%d" % n
    run(["aws", "s3api", "create-bucket", "--bucket", bucket], env=env)
    run(["aws", "s3api", "put-bucket-versioning", "--bucket", bucket, "--versioning-configuration", "Status=Enabled"],
        env=env)
    here = os.path.join(work, "n%d" % n)
    os.makedirs(here)
    accounts = ["%012d" % (300000000000 + index) for index in range(n)]
    with open(os.path.join(here, "aws-config"), "w") as config:
        config.write("[profile build]\nregion = us-east-1\n")
        for index, account in enumerate(accounts):
            config.write("[profile silo-%d]\nrole_arn = arn:aws:iam::%s:role/ferry-agent\nsource_profile = build\n"
                         "region = us-east-1\n" % (index, account))
    with open(os.path.join(here, "aws-credentials"), "w") as credentials:
        credentials.write("[build]\naws_access_key_id = testing\naws_secret_access_key = testing\n")

    log("N=%d: starting %d agents on %s" % (n, n, endpoint))
    logs = []
    for index in range(n):
        agent_env = {k: v for k, v in env.items() if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
        agent_env.update(AWS_CONFIG_FILE=os.path.join(here, "aws-config"),
                         AWS_SHARED_CREDENTIALS_FILE=os.path.join(here, "aws-credentials"), AWS_PROFILE="silo-%d" % index)
        path = os.path.join(here, "agent-%d.log" % index)
        logs.append(path)
        agents.append(subprocess.Popen(
            [ferry, "agent", "run", "--bucket", bucket, "--prefix", "ferry/", "--pipeline", "fleet", "--channel",
             "canary", "--trust", pub + "=builder,release,oncall", "--state-dir", os.path.join(here, "state-%d" % index), "--stack-prefix",
             "fleet-", "--endpoint-url", endpoint, "--log-level", "debug"] + CADENCE,
            env=agent_env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(path, "w")))

    def ticks():
        return [open(path).read().count("idle: nothing changed") for path in logs]

    deadline = time.time() + 60 + n
    while min(ticks()) < 2:
        if time.time() > deadline or any(agent.poll() is not None for agent in agents):
            raise SystemExit("bench-fleet: N=%d: an agent did not start ticking; its log:\n%s"
                             % (n, open(logs[[t < 2 for t in ticks()].index(True)]).read()[-2000:]))
        time.sleep(0.2)

    result = {"n": n}
    for version, label in (("1.0.0", "fresh"), ("1.1.0", "update")):
        moto_cpu0, agents_cpu0 = benchlib.process_cpu(moto_pid), sum(benchlib.process_cpu(a.pid) for a in agents)
        start, start_wall = time.perf_counter(), time.time()
        run([ferry, "release", "fleet", version, "--ref", commits[version], "--channel", "canary", "--new-channel",
             "--key", key, "--trust", pub + "=builder,release,oncall", "--repo", repo, "--bucket", bucket, "--cache-dir", os.path.join(here, "cache"), "--endpoint-url", endpoint,
             "--region", "us-east-1"], env=env)
        released = time.perf_counter() - start
        # Each agent logs "applied ... version=V" (with a millisecond timestamp) just before
        # it writes its in-sync report. Reading the agents' logs puts no load on moto, where
        # polling `ferry status` (a list and N GETs each time) would compete with the fleet.
        deadline = time.time() + 120 + 5 * n
        applied_at = [None] * n
        while None in applied_at:
            for index, path in enumerate(logs):
                if applied_at[index] is None:
                    applied_at[index] = applied_time(path, version)
            if None in applied_at:
                if time.time() > deadline or any(agent.poll() is not None for agent in agents):
                    raise SystemExit("bench-fleet: N=%d: %d of %d silos applied %s in time"
                                     % (n, n - applied_at.count(None), n, version))
                time.sleep(0.1)
        elapsed = max(applied_at) - start_wall
        moto_cpu1, agents_cpu1 = benchlib.process_cpu(moto_pid), sum(benchlib.process_cpu(a.pid) for a in agents)
        for attempt in range(40):  # then the reports must say so: every silo in-sync at V
            done = [s for s in status(env, bucket) if s.get("applied") == version and s.get("reportedState") == "in-sync"]
            if len(done) == n:
                break
            time.sleep(0.25)
        else:
            raise SystemExit("bench-fleet: N=%d: the agents applied %s but %d of %d report in-sync" % (n, version, len(done), n))
        result[label] = {"release": released, "all": elapsed, "moto_cpu": moto_cpu1 - moto_cpu0,
                         "agents_cpu": agents_cpu1 - agents_cpu0}
        log("N=%d: %s: release %.2f s, all %d in sync after %.2f s (moto CPU %.2f s)"
            % (n, version, released, n, elapsed, result[label]["moto_cpu"]))

    # The idle fleet: requests in moto's log over the window (one line per request).
    time.sleep(1)
    offset = os.path.getsize(moto_log)
    ticks0, cpu0 = ticks(), [benchlib.process_cpu(a.pid) for a in agents]
    moto_cpu0, start = benchlib.process_cpu(moto_pid), time.perf_counter()
    time.sleep(window)
    ticks1, cpu1 = ticks(), [benchlib.process_cpu(a.pid) for a in agents]
    measured, moto_idle = time.perf_counter() - start, benchlib.process_cpu(moto_pid) - moto_cpu0
    with open(moto_log) as handle:
        handle.seek(offset)
        lines = handle.read().splitlines()
    kinds = {"channel GET": 0, "pin GET": 0, "status PUT": 0, "other": 0}
    request = re.compile(r'"(\w+) (\S+) HTTP')
    for line in lines:
        match = request.search(line)
        if not match:
            continue
        method, path = match.groups()
        if method == "GET" and "/channels/" in path:
            kinds["channel GET"] += 1
        elif method == "GET" and "/pins/" in path:
            kinds["pin GET"] += 1
        elif method == "PUT" and "/status/" in path:
            kinds["status PUT"] += 1
        else:
            kinds["other"] += 1
    tick_count = sum(b - a for a, b in zip(ticks0, ticks1))
    result["idle"] = {"seconds": measured, "kinds": kinds, "ticks": tick_count, "moto_cpu": moto_idle,
                      "cpu_per_tick_ms": 1000 * sum(b - a for a, b in zip(cpu0, cpu1)) / max(tick_count, 1)}
    result["hwm_kib"] = [benchlib.process_status_kib(a.pid, "VmHWM") for a in agents]
    result["pss_kib"] = [benchlib.process_rollup_kib(a.pid, "Pss") for a in agents]
    result["anon_kib"] = [benchlib.process_rollup_kib(a.pid, "Anonymous") for a in agents]
    log("N=%d: idle %.0f s: %s, %d ticks" % (n, measured, kinds, tick_count))
    return result


results = [fleet(n) for n in sizes]


# ---- the tables ------------------------------------------------------------------

def per_silo_hour(r, kind):
    """Requests of one silo in an hour at the default cadence (30 s / 3 min / 30 min)."""
    return r["idle"]["kinds"][kind] / r["n"] / r["idle"]["seconds"] * 3600 / SPEED


out = []
out.append("Agents: `ferry agent run %s` (the defaults 30 s / 3 min / 30 min, %gx faster), one process and one "
           "AssumeRole'd account per silo; the release is `ferry release` of one stack (an SQS queue). \"all in sync\" "
           "is from the start of `ferry release` until the last agent logs that it applied the new version (it writes its "
           "in-sync report right after; the agents' log files are read, so that measuring puts no load on moto, and one "
           "`ferry status --json` then confirms every silo in-sync at the new version)." % (" ".join(CADENCE), SPEED))
out.append("")
out.append("| silos N | update: ferry release (s) | first release: all in sync (s) | update: all in sync (s) | per silo (s) "
           "| growth vs previous N (time / N ratio) | moto CPU / wall during update | agents' CPU, update (s) |")
out.append("|---:|---:|---:|---:|---:|---|---:|---:|")
previous = None
for r in results:
    fresh, update = r["fresh"], r["update"]
    growth = ""
    if previous:
        growth = "%.2fx time for %.1fx silos" % (update["all"] / previous["update"]["all"], r["n"] / previous["n"])
    out.append("| %d | %.2f | %.2f | %.2f | %.3f | %s | %.2f | %.2f |" % (
        r["n"], update["release"], fresh["all"], update["all"], update["all"] / r["n"], growth,
        update["moto_cpu"] / update["all"], update["agents_cpu"]))
    previous = r
out.append("")
out.append("Idle fleet over a window of %.0f s (= %.0f min at the default cadence); requests counted in moto's request "
           "log, per silo, scaled to an hour at the default cadence. Monthly cost: 720 h at S3 Standard us-east-1 public "
           "prices, $0.0004 per 1,000 GET and $0.005 per 1,000 PUT." % (window, window * SPEED / 60))
out.append("")
out.append("| silos N | channel GET / silo / h | pin GET / silo / h | status PUT / silo / h | other / silo / h "
           "| $ / silo / month | agent CPU per idle tick | peak RSS per agent, median [max] | PSS per agent | anonymous per agent | moto CPU idle |")
out.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
costs = []
for r in results:
    gets = per_silo_hour(r, "channel GET") + per_silo_hour(r, "pin GET")
    puts = per_silo_hour(r, "status PUT")
    cost = HOURS_PER_MONTH * (gets * GET_PRICE + puts * PUT_PRICE)
    costs.append(cost)
    hwm = [k / 1024 for k in r["hwm_kib"]]
    out.append("| %d | %.0f | %.0f | %.1f | %.1f | $%.4f | %.2f ms | %.1f MB [%.1f] | %.1f MB | %.1f MB | %.0f %% |" % (
        r["n"], per_silo_hour(r, "channel GET"), per_silo_hour(r, "pin GET"), puts, per_silo_hour(r, "other"), cost,
        r["idle"]["cpu_per_tick_ms"], statistics.median(hwm), max(hwm), statistics.median(r["pss_kib"]) / 1024,
        statistics.median(r["anon_kib"]) / 1024, 100 * r["idle"]["moto_cpu"] / r["idle"]["seconds"]))
out.append("")
out.append("Expected at the defaults: 120 channel GETs (one per 30 s tick, `304` when nothing moved), 20 pin GETs "
           "(every 3 min), 2 status PUTs (every 30 min) per silo per hour: $0.048 per silo per month. \"other\" is "
           "anything else moto saw in the window (e.g. an STS AssumeRole when credentials are refreshed). Memory: peak RSS "
           "is VmHWM of /proc/PID/status before the agent is stopped; it counts the pages of the ferry binary and shared "
           "libraries the agent touched, which all agents on a host share; PSS (smaps_rollup) splits those among the "
           "processes mapping them; anonymous is the memory that is the agent's alone (heap, stacks).")

# Linear growth: at every step between sizes above 1, the time to all in sync grows by at
# most the ratio of the sizes (10 % allowed for noise on a shared machine).
steps = [(a, b) for a, b in zip(results, results[1:]) if a["n"] > 1]
linear = all(b["update"]["all"] / a["update"]["all"] <= 1.10 * b["n"] / a["n"] for a, b in steps)
growth_text = "; ".join("N %d->%d: %.2fx time for %.1fx silos" % (a["n"], b["n"], b["update"]["all"] / a["update"]["all"],
                                                                   b["n"] / a["n"]) for a, b in zip(results, results[1:]))
targets = [
    benchlib.target("fleet: publish-to-all-in-sync grows no faster than linearly with N",
                    growth_text or "one size only", linear),
    benchlib.target("idle cost under $0.05 per silo per month at a 30 s poll",
                    "$%.4f (largest over N)" % max(costs), max(costs) < 0.05),
]
benchlib.write_result(json_path, "fleet", "Fleet of agents at growing size (scripts/bench-fleet)", "\n".join(out),
                      targets, started)
