"""Shared by the scripts/bench-* summaries (imported, not run): statistics as the
benchmark tables show them, one measured process, and the result file scripts/bench
collects.

Every bench-* script takes `--json FILE`; it then writes one object there:
  {"name": "release", "title": "...", "markdown": "<the tables>",
   "targets": [{"target": "...", "measured": "...", "met": true}], "seconds": 61.2}
and prints the same markdown on stdout.
"""
import json
import os
import re
import resource
import statistics
import subprocess
import time


def median(values):
    return statistics.median(values)


def cell(values, fmt="%.3f", scale=1.0):
    """`median [min-max]` of the values, each times `scale`, printed with `fmt`."""
    values = [v * scale for v in values]
    return (fmt + " [" + fmt + "-" + fmt + "]") % (statistics.median(values), min(values), max(values))


def ratio(reference, ferry):
    """reference / ferry of the medians: above 1, Ferry is faster."""
    return statistics.median(reference) / max(statistics.median(ferry), 1e-9)


def measure(args, env=None, cwd=None, stdout=subprocess.DEVNULL):
    """Runs one process; returns (wall s, CPU s user+sys, peak RSS KiB, exit status) from
    wait4's rusage of that child alone."""
    start = time.perf_counter()
    child = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.DEVNULL,
                             env=env, cwd=cwd)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, os.waitstatus_to_exitcode(status)


def children_cpu():
    """CPU seconds (user + sys) of every child process this one has waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def process_cpu(pid):
    """CPU seconds (user + sys) a running process has used, from /proc/PID/stat."""
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_status_kib(pid, field):
    """A `kB` line of /proc/PID/status (VmHWM: peak resident memory, VmRSS: now)."""
    for line in open("/proc/%d/status" % pid):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def process_rollup_kib(pid, field):
    """A field of /proc/PID/smaps_rollup (Pss: resident memory with pages shared between
    processes split among them; Anonymous: memory that is the process's own)."""
    for line in open("/proc/%d/smaps_rollup" % pid):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def target(text, measured, met):
    return {"target": text, "measured": measured, "met": bool(met)}


def write_result(path, name, title, markdown, targets, started):
    """Prints the markdown and, with a path, writes the object scripts/bench collects."""
    print(markdown)
    if path:
        with open(path, "w") as handle:
            json.dump({"name": name, "title": title, "markdown": markdown, "targets": targets,
                       "seconds": round(time.time() - started, 1)}, handle, indent=1)


def perf_table(data, what, limit=12, percent=0.02):
    """The hottest functions (self time) of a `perf record` file as a markdown table, after
    the share of each binary; addresses in a stripped library (libz) are summed into one
    row; Swift names demangled by `swift demangle --simplified` when it is there."""
    def report(sort):
        done = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children", "--sort", sort, "-g", "none",
                               "--percent-limit", str(percent)], capture_output=True, text=True)
        rows = []
        for line in done.stdout.splitlines():
            parts = line.split(None, 2) + [""]
            if len(parts) >= 3 and parts[0].endswith("%") and not line.startswith("#"):
                rows.append((float(parts[0].rstrip("%")), parts[1], re.split(r"\s{2,}", parts[2].strip())[0]))
        return rows

    binaries = [(share, dso) for share, dso, _ in report("dso")]
    functions = {}
    for share, dso, rest in report("dso,symbol"):
        name = rest[4:] if rest.startswith("[") else rest
        if name.startswith("0x"):
            name = "(code without symbols)"
        functions[(dso, name)] = functions.get((dso, name), 0) + share
    top = sorted(functions.items(), key=lambda item: -item[1])[:limit]
    try:
        demangled = subprocess.run(["swift", "demangle", "--simplified"], input="\n".join(n for (_, n), _ in top),
                                   capture_output=True, text=True, timeout=60).stdout.splitlines()
        if len(demangled) == len(top):
            top = [((dso, new), share) for ((dso, _), share), new in zip(top, demangled)]
    except Exception:
        pass
    lines = ["Where the CPU goes in %s (perf record -g, self time; perf's share of the samples):" % what, "",
             "by binary: " + ", ".join("%s %.1f %%" % (dso, share) for share, dso in binaries[:6]), "",
             "| self | binary | function |", "|---:|---|---|"]
    for (dso, name), share in top:
        name = name if len(name) <= 100 else name[:97] + "..."
        lines.append("| %.1f %% | %s | `%s` |" % (share, dso, name.replace("|", "\\|")))
    return "\n".join(lines)
