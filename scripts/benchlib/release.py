"""The release benchmark: ferry build/publish/release against the AWS CLI (run by scripts/bench-release)."""
import boto3, hashlib, os, random, re, statistics, subprocess, sys, time
import benchlib

ferry, work, runs, json_path, profile = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
moto_pid = int(sys.argv[6])
started = time.time()
endpoint = os.environ["AWS_ENDPOINT_URL"]
repo = os.path.join(work, "repo")
SEED = 20241128


def log(text):
    print("bench-release: " + text, file=sys.stderr, flush=True)


def run(args, cwd=None, env=None, capture=False):
    result = subprocess.run(args, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        sys.exit("bench-release: %s failed (%d):\n%s" % (" ".join(args), result.returncode, result.stderr[-3000:]))
    return result


# ---- the repository ---------------------------------------------------------------

PARENT = """AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Topic:
    Type: AWS::SNS::Topic
  Child:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: child.yaml
      Parameters:
        TopicArn: !Ref Topic
"""
CHILD = """AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  TopicArn: {Type: String}
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      Tags: [{Key: topic, Value: !Ref TopicArn}]
"""
FUNCTIONS = """AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - {Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: 'sts:AssumeRole'}
  Ingest:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: main.handler
      Role: !GetAtt Role.Arn
      Code: src/ingest
  Curate:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: main.handler
      Role: !GetAtt Role.Arn
      Code: src/curate
"""
SAM = """AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: main.handler
      CodeUri: src/api
"""
PIPELINE = """pipeline: bench
source:
  path: app
stacks:
  - name: bench-parent
    template: parent.yaml
  - name: bench-functions
    template: functions.yaml
    capabilities: [CAPABILITY_IAM]
  - name: bench-sam
    template: sam.yaml
    capabilities: [CAPABILITY_IAM, CAPABILITY_AUTO_EXPAND]
"""
TEMPLATES = ["parent.yaml", "functions.yaml", "sam.yaml"]


def generate():
    rng = random.Random(SEED)
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz_") for _ in range(rng.randint(2, 10))) for _ in range(4000)]
    files = {"app/parent.yaml": PARENT, "app/child.yaml": CHILD, "app/functions.yaml": FUNCTIONS,
             "app/sam.yaml": SAM, "pipelines/bench.yaml": PIPELINE}
    counts = {"ingest": 700, "curate": 700, "api": 600}
    total = 0
    for folder, count in counts.items():
        for index in range(count):
            sub = "pkg/m%02d" % (index % 20)
            if index % 5 < 3:  # text: source-like lines of random words
                size = rng.randint(2_000, 40_000)
                out, length = [], 0
                while length < size:
                    line = "    " + " = ".join(rng.choices(words, k=rng.randint(2, 8))) + "\n"
                    out.append(line)
                    length += len(line)
                data = "".join(out).encode()
                files["app/src/%s/%s/mod_%04d.py" % (folder, sub, index)] = data
            else:  # binary: random bytes (compiled or compressed data)
                data = rng.randbytes(rng.randint(10_000, 52_000))
                files["app/src/%s/%s/blob_%04d.bin" % (folder, sub, index)] = data
            total += len(data)
        files["app/src/%s/main.py" % folder] = "def handler(event, context):\n    return {'ok': True}\n"
    for path, data in files.items():
        full = os.path.join(repo, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as handle:
            handle.write(data.encode() if isinstance(data, str) else data)
    env = dict(os.environ, GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1",
               GIT_AUTHOR_DATE="@1700000000 +0000", GIT_COMMITTER_DATE="@1700000000 +0000")
    for args in (["git", "init", "-q", "-b", "main"], ["git", "config", "user.name", "Bench"],
                 ["git", "config", "user.email", "bench@example.com"], ["git", "add", "-A"],
                 ["git", "commit", "-q", "-m", "bench"]):
        run(args, cwd=repo, env=env)
    return len(files), total


# ---- the two contenders -----------------------------------------------------------

bucket_count = [0]


def fresh_bucket(versioned):
    bucket_count[0] += 1
    name = "bench-%d-%d" % (os.getpid(), bucket_count[0])
    s3 = boto3.client("s3", endpoint_url=endpoint)
    s3.create_bucket(Bucket=name)
    if versioned:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


cpu = benchlib.children_cpu


def reference(bucket, label):
    out = os.path.join(work, "ref-" + label)
    os.makedirs(out, exist_ok=True)
    start, cpu_start, moto_start = time.perf_counter(), cpu(), benchlib.process_cpu(moto_pid)
    for template in TEMPLATES:
        run(["aws", "--endpoint-url", endpoint, "cloudformation", "package", "--template-file", template,
             "--s3-bucket", bucket, "--s3-prefix", "artifacts", "--output-template-file",
             os.path.join(out, template)], cwd=os.path.join(repo, "app"))
    run(["zip", "-q", "-r", "bundle.zip"] + TEMPLATES, cwd=out)
    run(["aws", "--endpoint-url", endpoint, "s3", "cp", os.path.join(out, "bundle.zip"),
         "s3://%s/releases/bench/%s/bundle.zip" % (bucket, label)])
    elapsed = time.perf_counter() - start
    os.remove(os.path.join(out, "bundle.zip"))
    return elapsed, cpu() - cpu_start, benchlib.process_cpu(moto_pid) - moto_start


PHASE = re.compile(r"^ferry: (\w+)\s+([0-9.]+)s")


def release(bucket, cache, version):
    start, cpu_start, moto_start = time.perf_counter(), cpu(), benchlib.process_cpu(moto_pid)
    result = run([ferry, "release", "bench", version, "--channel", "canary", "--key", key, "--repo", repo,
                  "--bucket", bucket, "--cache-dir", cache, "--endpoint-url", endpoint, "--region", "us-east-1"],
                 capture=True)
    elapsed, used, moto_used = time.perf_counter() - start, cpu() - cpu_start, benchlib.process_cpu(moto_pid) - moto_start
    phases = {}
    for line in result.stderr.splitlines():
        match = PHASE.match(line)
        if match:
            phases[match.group(1)] = phases.get(match.group(1), 0) + float(match.group(2))
    phases["other"] = elapsed - sum(phases.values())
    return (elapsed, used, moto_used), phases, result.stdout.strip().splitlines()[-1]


build_times = []


def build(cache, out):
    start, cpu_start = time.perf_counter(), cpu()
    run([ferry, "build", "bench", "--ref", "v1.0.0", "--key", key, "--repo", repo, "--bucket", "bench-same",
         "--cache-dir", cache, "--out", out, "--endpoint-url", endpoint, "--region", "us-east-1"])
    build_times.append((time.perf_counter() - start, cpu() - cpu_start))
    return hashlib.sha256(open(os.path.join(out, "bundle.zip"), "rb").read()).hexdigest()


# The generated repository is kept between runs (it is the same bytes every time): a
# copy of it is measured, so tags a run creates never reach the kept one.
kept = os.path.join(os.getcwd(), ".ferry-run", "bench-release-repo-%d-v1" % SEED)
if not os.path.exists(kept + ".done"):
    log("generating the repository (seed %d)" % SEED)
    subprocess.run(["rm", "-rf", kept], check=True)
    count, size = generate()
    run(["cp", "-a", repo, kept])
    open(kept + ".done", "w").write("%d %d\n" % (count, size))
else:
    run(["cp", "-a", kept, repo])
    count, size = (int(x) for x in open(kept + ".done").read().split())
log("%d files, %.1f MB in %s" % (count, size / 1e6, repo))
run([ferry, "keys", "generate", "--out", work, "--name", "bench"], capture=True)
key = os.path.join(work, "bench.key")

times = {("reference", "cold"): [], ("reference", "unchanged"): [], ("ferry", "cold"): [], ("ferry", "unchanged"): []}
cpus = {key: [] for key in times}
moto_cpus = {key: [] for key in times}
phases = {"cold": [], "unchanged": []}


def record(key, measured):
    times[key].append(measured[0])
    cpus[key].append(measured[1])
    moto_cpus[key].append(measured[2])


for index in range(runs):
    log("run %d of %d" % (index + 1, runs))
    bucket = fresh_bucket(versioned=False)
    record(("reference", "cold"), reference(bucket, "cold-%d" % index))
    record(("reference", "unchanged"), reference(bucket, "again-%d" % index))

    bucket = fresh_bucket(versioned=True)
    cache = os.path.join(work, "cache-%d" % index)
    measured, cold_phases, line = release(bucket, cache, "1.%d.0" % index)
    record(("ferry", "cold"), measured)
    phases["cold"].append(cold_phases)
    measured, again_phases, line = release(bucket, cache, "1.%d.1" % index)
    record(("ferry", "unchanged"), measured)
    phases["unchanged"].append(again_phases)
    log("  reference %.2fs / %.2fs, ferry %.2fs / %.2fs" % (
        times[("reference", "cold")][-1], times[("reference", "unchanged")][-1],
        times[("ferry", "cold")][-1], times[("ferry", "unchanged")][-1]))

first = build(os.path.join(work, "same-a"), os.path.join(work, "same-out-a"))
second = build(os.path.join(work, "same-b"), os.path.join(work, "same-out-b"))


out = []
out.append("The master leg on a generated repository of %d files, %.1f MB (4 templates: parent + nested child, 2 Lambda "
           "functions with code folders, one SAM function; code folders ~2,000 files of text and random bytes, seed %d), "
           "against a local moto. Reference: `aws cloudformation package` of each top-level template + `zip -r` of the "
           "packaged templates + `aws s3 cp` of the zip. Ferry: `ferry release` (no tests in the pipeline, like the "
           "reference). Cold: a fresh bucket (and for Ferry a fresh artifact cache); unchanged: again, same bucket, a new "
           "version of the same commit. %d runs, alternating." % (count, size / 1e6, SEED, runs))
out.append("")
out.append("| scenario | reference (s) | ferry release (s) | reference / Ferry | CPU s, reference / Ferry | CPU ratio "
           "| moto's CPU s, reference / Ferry |")
out.append("|---|---:|---:|---:|---:|---:|---:|")
speedups = {}
for scenario in ("cold", "unchanged"):
    ref, fer = times[("reference", scenario)], times[("ferry", scenario)]
    ref_cpu, fer_cpu = statistics.median(cpus[("reference", scenario)]), statistics.median(cpus[("ferry", scenario)])
    speedups[scenario] = benchlib.ratio(ref, fer)
    out.append("| %s | %s | %s | %.1fx | %.2f / %.2f | %.1fx | %.2f / %.2f |" % (
        scenario, benchlib.cell(ref), benchlib.cell(fer), speedups[scenario], ref_cpu, fer_cpu,
        ref_cpu / max(fer_cpu, 1e-9), statistics.median(moto_cpus[("reference", scenario)]),
        statistics.median(moto_cpus[("ferry", scenario)])))
out.append("")
names = sorted({name for entry in phases["cold"] + phases["unchanged"] for name in entry} - {"other"}) + ["other"]
out.append("| ferry release phase, median (s) | " + " | ".join(names) + " |")
out.append("|---|" + "---:|" * len(names))
for scenario in ("cold", "unchanged"):
    out.append("| %s | " % scenario + " | ".join(
        "%.3f" % statistics.median([entry.get(name, 0) for entry in phases[scenario]]) for name in names) + " |")
out.append("")
out.append("Phases as `ferry release` prints them; \"other\" is the wall time outside them (process start, and "
           "waiting for the artifact uploads that overlap packaging to finish).")
out.append("")
out.append("CPU is user+sys of the measured processes; moto's own CPU (the uploads it stores, on the same 2 cores) "
           "beside it. Same commit, two `ferry build`s in fresh caches (no upload; %s s wall, %s s CPU): bundle sha256 %s "
           "(%s)." % (" and ".join("%.2f" % t[0] for t in build_times), " and ".join("%.2f" % t[1] for t in build_times),
                      first[:16], "identical" if first == second else "DIFFERENT: " + second[:16]))

if profile:
    log("profiling a cold release with perf record -g")
    bucket = fresh_bucket(versioned=True)
    data = os.path.join(work, "release.perf")
    run(["perf", "record", "-g", "-o", data, "--", ferry, "release", "bench", "9.0.0", "--channel", "canary", "--key",
         key, "--repo", repo, "--bucket", bucket, "--cache-dir", os.path.join(work, "cache-profile"), "--endpoint-url",
         endpoint, "--region", "us-east-1"])
    out.append("")
    out.append(benchlib.perf_table(data, "a cold `ferry release` (one run)"))

targets = [
    benchlib.target("release (~2,000 files / 50 MB): at least 10x faster than the CLI cold",
                    "%.1fx" % speedups["cold"], speedups["cold"] >= 10),
    benchlib.target("release: at least 50x faster than the CLI with nothing changed",
                    "%.1fx" % speedups["unchanged"], speedups["unchanged"] >= 50),
    benchlib.target("release: the same commit gives the same bundle bytes",
                    "identical" if first == second else "different", first == second),
]
benchlib.write_result(json_path, "release", "Release against the AWS CLI (scripts/bench-release)", "\n".join(out),
                      targets, started)
if first != second:
    sys.exit(1)
