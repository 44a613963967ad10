"""The release benchmark: ferry release against the AWS CLI's master leg (run by scripts/bench-release)."""
import boto3, hashlib, os, random, re, statistics, subprocess, sys, time
import yaml
import benchlib

ferry, work, runs, json_path, profile = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
moto_pid = int(sys.argv[6])
given_repo, given_pipeline = sys.argv[7], sys.argv[8]  # --repo, --pipeline ("": the generated samples)
started = time.time()
endpoint = os.environ["AWS_ENDPOINT_URL"]
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


class Sample:
    """A repository measured: its pipeline, the folder its templates are read from (the pipeline's source path),
    and the top-level templates the reference packages (the pipeline's stacks)."""

    def __init__(self, name, pipeline="bench", source="app", templates=TEMPLATES, text_share=None):
        self.name, self.pipeline, self.source, self.templates = name, pipeline, source, templates
        self.text_share = text_share  # generated samples only: the share of the files that are text


def given_sample(repo, pipeline):
    """The sample of a repository given with --repo: its pipeline definition, read from the working tree, says what
    the reference packages. A pipeline that runs tests or reads another repository is refused: the reference does
    neither, so the two would not do the same job."""
    folder = os.path.join(repo, "pipelines")
    names = sorted(name[:-5] for name in os.listdir(folder) if name.endswith(".yaml")) if os.path.isdir(folder) else []
    if not pipeline:
        if len(names) != 1:
            sys.exit("bench-release: %s has %s pipelines (%s): name one with --pipeline" % (
                repo, len(names), ", ".join(names) or "no pipelines/ folder"))
        pipeline = names[0]
    if pipeline not in names:
        sys.exit("bench-release: %s has no pipelines/%s.yaml (its pipelines: %s)" % (repo, pipeline, ", ".join(names)))
    definition = yaml.safe_load(open(os.path.join(folder, pipeline + ".yaml")))
    source = definition.get("source") or {}
    if definition.get("tests"):
        sys.exit("bench-release: pipeline %s runs tests, which the reference does not: measure a pipeline without "
                 "tests" % pipeline)
    if source.get("repository"):
        sys.exit("bench-release: pipeline %s reads its source from another repository: measure one that does not"
                 % pipeline)
    templates = [stack["template"] for stack in definition.get("stacks") or []]
    if not templates:
        sys.exit("bench-release: pipeline %s has no stacks" % pipeline)
    return Sample(os.path.basename(os.path.abspath(repo)), pipeline, source.get("path") or ".", templates)


# (name, share of the files that are text): generated repositories, or the one given with --repo.
SAMPLES = ([Sample("text-heavy", text_share=0.8), Sample("binary-heavy", text_share=0.2)] if not given_repo
           else [given_sample(given_repo, given_pipeline)])
# The releases' versions: for a given repository far above its own tags (a release tags v<version>).
MAJOR = 70000 if given_repo else 1


def generate(repo, text_share):
    rng = random.Random(SEED)
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz_") for _ in range(rng.randint(2, 10))) for _ in range(4000)]
    files = {"app/parent.yaml": PARENT, "app/child.yaml": CHILD, "app/functions.yaml": FUNCTIONS,
             "app/sam.yaml": SAM, "pipelines/bench.yaml": PIPELINE}
    counts = {"ingest": 700, "curate": 700, "api": 600}
    total = 0
    for folder, count in counts.items():
        for index in range(count):
            sub = "pkg/m%02d" % (index % 20)
            if (index % 10) < text_share * 10:  # text: source-like lines of random words
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


def reference(sample, repo, bucket, label):
    out = os.path.join(work, "ref-" + label)
    os.makedirs(out, exist_ok=True)
    start, cpu_start, moto_start = time.perf_counter(), cpu(), benchlib.process_cpu(moto_pid)
    for template in sample.templates:
        os.makedirs(os.path.dirname(os.path.join(out, template)), exist_ok=True)
        run(["aws", "--endpoint-url", endpoint, "cloudformation", "package", "--template-file", template,
             "--s3-bucket", bucket, "--s3-prefix", "artifacts", "--output-template-file",
             os.path.join(out, template)], cwd=os.path.join(repo, sample.source))
    run(["zip", "-q", "-r", "bundle.zip"] + sample.templates, cwd=out)
    run(["aws", "--endpoint-url", endpoint, "s3", "cp", os.path.join(out, "bundle.zip"),
         "s3://%s/releases/%s/%s/bundle.zip" % (bucket, sample.pipeline, label)])
    elapsed = time.perf_counter() - start
    os.remove(os.path.join(out, "bundle.zip"))
    return elapsed, cpu() - cpu_start, benchlib.process_cpu(moto_pid) - moto_start


PHASE = re.compile(r"^ferry: (\w+)\s+([0-9.]+)s")


def release_args(sample, repo, bucket, cache, version):
    # Writers check their key against the agents' trust list; the bench's channel is new.
    return [ferry, "release", sample.pipeline, version, "--channel", "canary", "--new-channel", "--key", key,
            "--trust", key[:-len(".key")] + ".pub=builder,release,oncall", "--repo", repo,
            "--bucket", bucket, "--cache-dir", cache, "--endpoint-url", endpoint, "--region", "us-east-1"]


def release(sample, repo, bucket, cache, version):
    start, cpu_start, moto_start = time.perf_counter(), cpu(), benchlib.process_cpu(moto_pid)
    result = run(release_args(sample, repo, bucket, cache, version), capture=True)
    elapsed, used, moto_used = time.perf_counter() - start, cpu() - cpu_start, benchlib.process_cpu(moto_pid) - moto_start
    phases = {}
    for line in result.stderr.splitlines():
        match = PHASE.match(line)
        if match:
            phases[match.group(1)] = phases.get(match.group(1), 0) + float(match.group(2))
    phases["other"] = elapsed - sum(phases.values())
    return (elapsed, used, moto_used), phases, result.stdout.strip().splitlines()[-1]


def upload_floor(source_bucket):
    """The artifacts a cold release uploaded (read back from its bucket), PUT again by curl alone, all at once, into
    a fresh versioned bucket: what sending these bytes to this moto costs with no packaging at all. No tool that
    uploads them is faster, so reference / this time is the highest ratio any release can reach here."""
    s3 = boto3.client("s3", endpoint_url=endpoint)
    folder = os.path.join(work, "floor-" + source_bucket)
    os.makedirs(folder)
    listed = s3.list_objects_v2(Bucket=source_bucket, Prefix="ferry/artifacts/").get("Contents", [])
    for entry in listed:
        s3.download_file(source_bucket, entry["Key"], os.path.join(folder, os.path.basename(entry["Key"])))
    bucket = fresh_bucket(versioned=True)
    files = sorted(os.path.join(folder, name) for name in os.listdir(folder))
    start, moto_start = time.perf_counter(), benchlib.process_cpu(moto_pid)
    puts = [subprocess.Popen(["curl", "-sf", "-o", "/dev/null", "-X", "PUT", "-H", "Expect:", "-H", "Content-Type: application/zip", "--max-time", "300", "--data-binary",
                              "@" + path, "%s/%s/floor/%s" % (endpoint, bucket, os.path.basename(path))])
            for path in files]
    if any(put.wait() != 0 for put in puts):
        sys.exit("bench-release: curl could not PUT the artifacts to moto")
    elapsed = time.perf_counter() - start
    size = sum(os.path.getsize(path) for path in files)
    subprocess.run(["rm", "-rf", folder], check=True)
    return elapsed, benchlib.process_cpu(moto_pid) - moto_start, size


build_times = []


def build(sample, repo, cache, out):
    start, cpu_start = time.perf_counter(), cpu()
    run([ferry, "build", sample.pipeline, "--ref", "v%d.0.0" % MAJOR, "--key", key, "--repo", repo, "--bucket", "bench-same",
         "--cache-dir", cache, "--out", out, "--endpoint-url", endpoint, "--region", "us-east-1"])
    build_times.append((time.perf_counter() - start, cpu() - cpu_start))
    return hashlib.sha256(open(os.path.join(out, "bundle.zip"), "rb").read()).hexdigest()


def committed_size(repo):
    """Files and bytes of the repository's HEAD commit (what a release packages from)."""
    listing = run(["git", "-C", repo, "ls-tree", "-r", "-l", "HEAD"], capture=True).stdout.splitlines()
    sizes = [int(line.split()[3]) for line in listing if line.split()[1] == "blob"]
    return len(sizes), sum(sizes)


# Each generated repository is kept between runs (it is the same bytes every time): a
# copy of it is measured, so tags a run creates never reach the kept one. A repository
# given with --repo is copied too: the releases tag the copy, never the original.
repos, sizes = {}, {}
for sample in SAMPLES:
    repo = os.path.join(work, "repo-" + sample.name)
    if given_repo:
        run(["cp", "-a", given_repo, repo])
        count, size = committed_size(repo)
    else:
        kept = os.path.join(os.getcwd(), ".ferry-run", "bench-release-repo-%d-%s-v2" % (SEED, sample.name))
        if not os.path.exists(kept + ".done"):
            log("generating the %s repository (seed %d)" % (sample.name, SEED))
            subprocess.run(["rm", "-rf", kept], check=True)
            count, size = generate(repo, sample.text_share)
            run(["cp", "-a", repo, kept])
            open(kept + ".done", "w").write("%d %d\n" % (count, size))
        else:
            run(["cp", "-a", kept, repo])
            count, size = (int(x) for x in open(kept + ".done").read().split())
    repos[sample.name], sizes[sample.name] = repo, (count, size)
    log("%s: %d files, %.1f MB in %s" % (sample.name, count, size / 1e6, repo))
run([ferry, "keys", "generate", "--out", work, "--name", "bench"], capture=True)
key = os.path.join(work, "bench.key")

CASES = [(sample.name, scenario) for sample in SAMPLES for scenario in ("cold", "unchanged")]
times = {(who, case): [] for who in ("reference", "ferry") for case in CASES}
cpus = {key: [] for key in times}
moto_cpus = {key: [] for key in times}
phases = {case: [] for case in CASES}
floors = {sample.name: [] for sample in SAMPLES}  # (seconds, moto's CPU, bytes) of curl PUTting the artifacts alone


def record(key, measured):
    times[key].append(measured[0])
    cpus[key].append(measured[1])
    moto_cpus[key].append(measured[2])


for index in range(runs):
    for entry in SAMPLES:
        sample = entry.name
        log("run %d of %d, %s" % (index + 1, runs, sample))
        repo = repos[sample]
        bucket = fresh_bucket(versioned=False)
        record(("reference", (sample, "cold")), reference(entry, repo, bucket, "%s-cold-%d" % (sample, index)))
        record(("reference", (sample, "unchanged")), reference(entry, repo, bucket, "%s-again-%d" % (sample, index)))

        bucket = fresh_bucket(versioned=True)
        cache = os.path.join(work, "cache-%s-%d" % (sample, index))  # fresh: as on an ephemeral CI runner
        measured, cold_phases, line = release(entry, repo, bucket, cache, "%d.%d.0" % (MAJOR, index))
        record(("ferry", (sample, "cold")), measured)
        phases[(sample, "cold")].append(cold_phases)
        floors[sample].append(upload_floor(bucket))
        measured, again_phases, line = release(entry, repo, bucket, cache, "%d.%d.1" % (MAJOR, index))
        record(("ferry", (sample, "unchanged")), measured)
        phases[(sample, "unchanged")].append(again_phases)
        log("  reference %.2fs / %.2fs, ferry %.3fs / %.3fs" % (
            times[("reference", (sample, "cold"))][-1], times[("reference", (sample, "unchanged"))][-1],
            times[("ferry", (sample, "cold"))][-1], times[("ferry", (sample, "unchanged"))][-1]))

first = build(SAMPLES[0], repos[SAMPLES[0].name], os.path.join(work, "same-a"), os.path.join(work, "same-out-a"))
second = build(SAMPLES[0], repos[SAMPLES[0].name], os.path.join(work, "same-b"), os.path.join(work, "same-out-b"))


out = []
if given_repo:
    only = SAMPLES[0]
    out.append("The master leg on the repository %s (pipeline %s: %d templates, %s; its HEAD commit: %d files, "
               "%.1f MB), against a local moto." % (
                   os.path.abspath(given_repo), only.pipeline, len(only.templates), ", ".join(only.templates),
                   sizes[only.name][0], sizes[only.name][1] / 1e6))
else:
    out.append("The master leg on two generated repositories (4 templates: parent + nested child, 2 Lambda functions "
               "with code folders, one SAM function; code folders of source-like text and random bytes, seed %d): "
               "**text-heavy**, %d files, %.1f MB, 80 %% of the code files text; **binary-heavy**, %d files, %.1f MB, "
               "80 %% random bytes (compiled or compressed data). Against a local moto." % (
                   SEED, sizes["text-heavy"][0], sizes["text-heavy"][1] / 1e6, sizes["binary-heavy"][0],
                   sizes["binary-heavy"][1] / 1e6))
out[-1] += (" Reference: `aws cloudformation package` of each top-level template + `zip -r` of the packaged templates "
            "+ `aws s3 cp` of the zip. Ferry: `ferry release` (no tests in the pipeline, like the reference). Cold: a "
            "fresh bucket (and for Ferry a fresh artifact cache, as on an ephemeral CI runner); unchanged: again, same "
            "bucket, a new version of the same commit. %d runs, the two tools%s alternating in one run." % (
                runs, "" if given_repo else " and the two samples"))
out.append("")
out.append("| sample | scenario | reference (s) | ferry release (s) | reference / Ferry | CPU s, reference / Ferry "
           "| CPU ratio | moto's CPU s, reference / Ferry |")
out.append("|---|---|---:|---:|---:|---:|---:|---:|")
speedups = {}
for case in CASES:
    ref, fer = times[("reference", case)], times[("ferry", case)]
    ref_cpu, fer_cpu = statistics.median(cpus[("reference", case)]), statistics.median(cpus[("ferry", case)])
    speedups[case] = benchlib.ratio(ref, fer)
    out.append("| %s | %s | %s | %s | %.1fx | %.2f / %.2f | %.1fx | %.2f / %.2f |" % (
        case[0], case[1], benchlib.cell(ref), benchlib.cell(fer), speedups[case], ref_cpu, fer_cpu,
        ref_cpu / max(fer_cpu, 1e-9), statistics.median(moto_cpus[("reference", case)]),
        statistics.median(moto_cpus[("ferry", case)])))
out.append("")
names = sorted({name for entries in phases.values() for entry in entries for name in entry} - {"other"}) + ["other"]
out.append("| ferry release phase, median (s) | " + " | ".join(names) + " |")
out.append("|---|" + "---:|" * len(names))
for case in CASES:
    out.append("| %s, %s | " % case + " | ".join(
        "%.3f" % statistics.median([entry.get(name, 0) for entry in phases[case]]) for name in names) + " |")
out.append("")
out.append("| sample | artifacts a cold release uploads | curl PUTs of them alone, all at once (s) | moto's CPU (s) "
           "| reference / curl: the highest ratio reachable here |")
out.append("|---|---:|---:|---:|---:|")
ceilings = {}
for sample in (entry.name for entry in SAMPLES):
    seconds = [entry[0] for entry in floors[sample]]
    ceilings[sample] = benchlib.ratio(times[("reference", (sample, "cold"))], seconds)
    out.append("| %s | %.1f MB | %s | %.2f | %.1fx |" % (
        sample, floors[sample][0][2] / 1e6, benchlib.cell(seconds),
        statistics.median(entry[1] for entry in floors[sample]), ceilings[sample]))
out.append("")
out.append("The curl row is the floor of a cold release on this machine: moto (one Python process on the same 2 "
           "cores) spends that CPU storing the bytes (reading the body, an MD5 for the ETag, a temporary file), "
           "whoever sends them.")
out.append("")
out.append("Phases as `ferry release` prints them; \"other\" is the wall time outside them (process start, and "
           "waiting for the artifact uploads that overlap packaging to finish).")
out.append("")
out.append("CPU is user+sys of the measured processes; moto's own CPU (the uploads it stores, on the same 2 cores) "
           "beside it. Same commit (%s), two `ferry build`s in fresh caches (no upload; %s s wall, %s s CPU): "
           "bundle sha256 %s (%s)." % (
               SAMPLES[0].name, " and ".join("%.2f" % t[0] for t in build_times),
               " and ".join("%.2f" % t[1] for t in build_times), first[:16], "identical" if first == second else "DIFFERENT: " + second[:16]))

if profile:
    profiled = SAMPLES[0]
    log("profiling a cold and an unchanged release (%s) with perf record -g" % profiled.name)
    bucket = fresh_bucket(versioned=True)
    cache = os.path.join(work, "cache-profile")
    for label, version in (("cold", "%d.900.0" % MAJOR), ("unchanged", "%d.900.1" % MAJOR)):
        data = os.path.join(work, "release-%s.perf" % label)
        # A higher rate for the short unchanged run, so it has enough samples to say something.
        run(["perf", "record", "-g", "-F", "999" if label == "cold" else "20000", "-o", data, "--"]
            + release_args(profiled, repos[profiled.name], bucket, cache, version))
        out.append("")
        out.append(benchlib.perf_table(data, "%s `ferry release` of the %s sample (one run)" % (
            "an unchanged" if label == "unchanged" else "a cold", profiled.name)))

targets = []
for sample in (entry.name for entry in SAMPLES):
    cold, again = speedups[(sample, "cold")], speedups[(sample, "unchanged")]
    shape = "%s files / %.0f MB" % (format(sizes[sample][0], ","), sizes[sample][1] / 1e6)
    targets.append(benchlib.target("release, %s (%s): at least 12x faster than the CLI cold" % (sample, shape),
                                   "%.1fx (curl's upload alone: %.1fx)" % (cold, ceilings[sample]), cold >= 12))
    targets.append(benchlib.target("release, %s: at least 60x faster than the CLI with nothing changed" % sample,
                                   "%.1fx" % again, again >= 60))
targets.append(benchlib.target("release: the same commit gives the same bundle bytes",
                               "identical" if first == second else "different", first == second))
benchlib.write_result(json_path, "release", "Release against the AWS CLI (scripts/bench-release)", "\n".join(out),
                      targets, started)
if first != second:
    sys.exit(1)
