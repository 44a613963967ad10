"""Writes docs/benchmarks.md from the results of every scripts/bench-* run (run by scripts/bench)."""
import datetime, json, os, platform, subprocess, sys
results, out, command, only, load_before, setup_s, bench_s, version, commit = sys.argv[1:10]
MARK = "<!-- hand-written below -->"


def machine():
    model = "unknown"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory = 0
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal:"):
            memory = int(line.split()[1]) / 1024 / 1024
    return "%s, %d cores, %.1f GiB memory, Linux %s" % (model, os.cpu_count(), memory, platform.release())


def tool_versions():
    found = []
    for name, args in (("swift", ["swift", "--version"]), ("aws", ["aws", "--version"]),
                       ("curl", ["curl", "--version"]), ("nginx", ["nginx", "-v"]),
                       ("openssl", ["openssl", "version"]), ("moto", [sys.executable, "-c", "import moto; print(moto.__version__)"])):
        try:
            done = subprocess.run(args, capture_output=True, text=True, timeout=20)
            text = (done.stdout or done.stderr).strip().splitlines()[0]
            found.append("%s: %s" % (name, text))
        except Exception:
            pass
    return found


sections = [json.load(open(os.path.join(results, name + ".json"))) for name in only.split()]
now = datetime.datetime.now().astimezone()
lines = ["# Ferry benchmarks", "",
         "Written by `%s` on %s (ferry %s, commit %s)." % (command, now.strftime("%Y-%m-%d %H:%M %Z"), version, commit),
         "", "- Machine: %s." % machine(),
         "- Load average (1, 5, 15 min) when the run began: %s; when it ended: %s." % (
             load_before, " ".join(open("/proc/loadavg").read().split()[:3])),
         "- Wall time: %d s in the benchmarks, after %d s of setup and build (%s)." % (
             int(bench_s), int(setup_s), ", ".join("%s %.0f s" % (s["name"], s["seconds"]) for s in sections)),
         "- Tools: %s." % "; ".join(tool_versions()),
         "- Tables show median [min-max] over the runs; a ratio is reference / Ferry of the medians (above 1: Ferry "
         "is faster) unless it says otherwise. Ferry is the release build with --static-swift-stdlib, as distributed.",
         "", "## Targets", "", "| target | measured | |", "|---|---|---|"]
for section in sections:
    for t in section["targets"]:
        lines.append("| %s | %s | %s |" % (t["target"], t["measured"], "met" if t["met"] else "**missed**"))
for section in sections:
    lines += ["", "## " + section["title"], "", section["markdown"].strip()]
kept = ""
if os.path.exists(out):
    text = open(out).read()
    if MARK in text:
        kept = text[text.index(MARK):]
lines += ["", kept.strip() if kept else MARK]
with open(out, "w") as handle:
    handle.write("\n".join(lines) + "\n")
missed = sum(not t["met"] for s in sections for t in s["targets"])
print("bench: wrote %s (%d targets, %d missed) in %d s of benchmarks" % (
    out, sum(len(s["targets"]) for s in sections), missed, int(bench_s)), file=sys.stderr)
